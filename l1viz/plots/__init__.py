"""Pure functions from results to plotly figures (and small HTML pieces). They import results;
nothing below imports them."""
