"""Placeholder: filled in by its issue."""

import streamlit as st

st.title("observations")
st.info("Coming soon.")
