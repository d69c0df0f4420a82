// A "Download SVG" button for the Streamlit plotly chart in the same keyed container: plotly.js
// draws the chart's current figure (as zoomed) to SVG in the browser.
let fullPlotly = null;

// The full bundle (the live player's basic one draws no heatmaps), kept to this button: whatever
// plotly.js the page had as window.Plotly stays there.
function loadFullPlotly(url) {
  if (!fullPlotly) {
    fullPlotly = new Promise((resolve, reject) => {
      const before = window.Plotly;
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => {
        const full = window.Plotly;
        window.Plotly = before;
        resolve(full);
      };
      script.onerror = () => {
        fullPlotly = null;
        reject(new Error("could not load " + url));
      };
      document.head.appendChild(script);
    });
  }
  return fullPlotly;
}

// The chart, once Streamlit's plotly has drawn it (a click can come first), or null.
async function drawnChart(selector) {
  for (let tries = 0; tries < 100; tries++) {
    const chart = document.querySelector(selector);
    if (chart && chart._fullLayout) return chart;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

async function download(data, button) {
  button.disabled = true;
  const chart = await drawnChart(`.${data.chart} .js-plotly-plot`);
  if (!chart) {
    button.title = "The chart is not drawn yet: try again in a moment.";
    button.disabled = false;
    return;
  }
  try {
    const Plotly = await loadFullPlotly(data.plotly);
    const { width, height } = chart._fullLayout;
    await Plotly.downloadImage(
      { data: chart.data, layout: chart.layout },
      { format: "svg", filename: data.file, width, height },
    );
    button.title = "Saved " + data.file + ".svg";
  } catch (error) {
    button.title = "The SVG could not be made: " + error.message;
  } finally {
    button.disabled = false;
  }
}

export default function ({ data, parentElement }) {
  let button = parentElement.querySelector("button.l1-svg");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.className = "l1-svg";
    button.dataset.testid = "l1-svg";
    button.textContent = "Download SVG";
    parentElement.appendChild(button);
  }
  button.title = `This chart as ${data.file}.svg (the toolbar's camera saves a PNG)`;
  button.onclick = () => download(data, button);
}
