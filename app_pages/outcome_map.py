"""Placeholder: filled in by its issue."""

import streamlit as st

st.title("outcome_map")
st.info("Coming soon.")
