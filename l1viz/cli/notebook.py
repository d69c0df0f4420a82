"""`notebook`: the original notebook's run, replayed to the last digit and printed as it did."""

from __future__ import annotations

from l1viz.cli.arguments import finish, print_json
from l1viz.study.notebook import run_notebook


def add_parser(commands):
    notebook = commands.add_parser("notebook", help="replay the original notebook's run exactly")
    notebook.add_argument("--json", action="store_true", help="one JSON object on the last line")
    return finish(notebook, run)


def run(args):
    def log(epoch, loss):
        print(f"Epoch {epoch}, Loss: {loss}", flush=True)

    replay = run_notebook(on_log=log)
    if replay.converged:
        print(f"Finished training after {replay.epochs} epochs")
    else:
        print("Could not converge")
    check = replay.long_sequence
    print(f"Predicted sum: {check.predicted}, Actual sum: {check.actual}")
    if args.json:
        print_json(
            {
                "converged": replay.converged,
                "epochs": replay.epochs,
                "initial": replay.initial,
                "params": replay.params,
                "losses": replay.losses,
                "long_sequence": check.as_dict(),
            }
        )
