"""The Streamlit pages (`*_page.py`, registered in app.py) and the live page's parts."""
