"""Studies built on the engine: the notebook's replay and observations, the measured table, the
outcome map, the loss landscape and the sentences that explain a run or a case."""
