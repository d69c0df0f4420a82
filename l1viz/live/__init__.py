"""The dashboard's state without Streamlit: its settings and their URL form, presets, one live run
driven in time slices, and the session's runs."""
