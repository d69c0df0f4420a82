"""Placeholder: filled in by its issue."""

import streamlit as st

st.title("live")
st.info("Coming soon.")
