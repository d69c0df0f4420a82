// The live view's player, in the browser: a playhead over the steps the server has trained,
// moved by requestAnimationFrame, with the controls, the status, the numbers, the charts and
// the timeline. The server sends history rows (base64 float32) and the run's ending; the player
// shows of them only what is at its playhead, and tells the server where it is through one
// trigger value per kind of event (play, pause, seek, end, need, ack). Every event says which
// rows the player holds; the server sends the rest with each update until the player has said so.
//
// Charts are plotly.js (served once from the app's static folder). A chart is drawn with plotly
// only when its data or axis ranges change; between draws the playhead reveals the traces through
// an SVG clip, which costs a frame almost nothing. Several mounts (the player, the Firing tab's
// chart, the landscape) share one run through RUNS, which lives as long as the page.

const RUNS = new Map();
window.l1vizRuns = RUNS; // for tests and benchmarks to read the player's state
const EVENTS = { count: 0 }; // numbers the page's events, so the server takes each once
const NEWEST = { token: null, serial: -1 }; // the newest run a player of the page has shown
const MOUNTS = new WeakMap();
const MAX_POINTS = 1600; // points per drawn trace, whatever the run's length
const REDRAW_MS = 100; // a chart is redrawn at most this often while playing
const NEED_MS = 700; // "need" events at most this often
const FOLLOW_S = 0.5; // at max speed the playhead stays about this far behind the trained rows
// A trigger value can be lost between the browser and a script run (a rerun that replaces the
// one it was meant for): an event the server has not said it took within this time is sent
// again, as the player stands then, a few times at most.
const RESEND_MS = 1200;
const RESENDS = 5;
let plotlyLoading = null;

function loadPlotly(url) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!plotlyLoading) {
    plotlyLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        plotlyLoading = null;
        reject(new Error("could not load " + url));
      };
      document.head.appendChild(script);
    });
  }
  return plotlyLoading;
}

function decode(text, Type) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Type(bytes.buffer);
}

// -- numbers as the page writes them ---------------------------------------------------------
// As Python's format() writes them (the CLI's, the tables' and the tests' numbers): ties round
// to even, non-finite values read nan, inf, -inf. A float32 times a power of ten up to 1e15 is
// exact in a double, so a tie is seen exactly.
function grouped(value) {
  return Math.round(value).toLocaleString("en-US");
}
function nonFinite(value) {
  return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
}
function halfEven(scaled) {
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  if (rest !== 0.5) return rest > 0.5 ? floor + 1 : floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
function fixed(value, digits) {
  if (!Number.isFinite(value)) return nonFinite(value);
  if (Math.abs(value) >= 1e15) return value.toFixed(digits); // no fraction left to round
  const scale = 10 ** digits;
  return (halfEven(value * scale) / scale).toFixed(digits);
}
function significant(value, digits) {
  // Python's "{:.{digits}g}".
  if (!Number.isFinite(value)) return nonFinite(value);
  if (value === 0) return "0";
  let exponent = Number(value.toExponential(digits - 1).split("e")[1]);
  let whole = halfEven(Math.abs(value) * 10 ** (digits - 1 - exponent));
  if (whole >= 10 ** digits) {
    exponent += 1;
    whole = halfEven(Math.abs(value) * 10 ** (digits - 1 - exponent));
  }
  const sign = value < 0 ? "-" : "";
  const text = String(whole).padStart(digits, "0");
  if (exponent < -4 || exponent >= digits) {
    const mantissa = (text[0] + "." + text.slice(1)).replace(/\.?0+$/, "");
    const power = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${power}`;
  }
  const decimals = digits - 1 - exponent;
  const shown = (whole / 10 ** decimals).toFixed(Math.max(decimals, 0));
  return sign + (shown.includes(".") ? shown.replace(/\.?0+$/, "") : shown);
}
function percent(value) {
  // Python's "{:.0%}".
  return Number.isFinite(value) ? `${halfEven(value * 100).toFixed(0)}%` : nonFinite(value);
}
function exact32(value) {
  // The shortest text that gives back the same float32: what the recorded value is.
  if (!Number.isFinite(value)) return nonFinite(value);
  for (let digits = 1; digits <= 9; digits++) {
    const text = Number(value.toPrecision(digits)).toString();
    if (Math.fround(Number(text)) === value) return text;
  }
  return value.toString();
}

// -- the rows of one run ---------------------------------------------------------------------
class Rows {
  constructor() {
    this.epoch = -1;
    this.n = 0;
    this.steps = new Int32Array(1024);
    this.columns = {};
  }
  // Takes a payload's rows; "gap" when rows before them are missing (ask the server again).
  accept(payload) {
    if (payload.epoch !== this.epoch) {
      if (payload.start !== 0) return "gap";
      this.epoch = payload.epoch;
      this.n = 0;
      this.columns = {};
    }
    if (payload.start > this.n) return "gap";
    const skip = this.n - payload.start;
    if (skip >= payload.count) return "ok";
    const steps = decode(payload.steps, Int32Array);
    const total = payload.start + payload.count;
    this.steps = grow(this.steps, total, Int32Array);
    this.steps.set(steps.subarray(skip), this.n);
    for (const [name, text] of Object.entries(payload.columns)) {
      const values = decode(text, Float32Array);
      const column = grow(this.columns[name] || new Float32Array(1024), total, Float32Array);
      column.set(values.subarray(skip), this.n);
      this.columns[name] = column;
    }
    this.n = total;
    return "ok";
  }
  last() {
    return this.n ? this.steps[this.n - 1] : 0;
  }
  // The last row at or before `step` (0 if none).
  indexAt(step) {
    let low = 0;
    let high = this.n - 1;
    if (high < 0 || step <= this.steps[0]) return 0;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.steps[middle] <= step) low = middle;
      else high = middle - 1;
    }
    return low;
  }
  // The first row at or after `step` (the last row if none).
  indexFrom(step) {
    const before = this.indexAt(step);
    return this.steps[before] >= step || before === this.n - 1 ? before : before + 1;
  }
  value(name, index) {
    const column = this.columns[name];
    return column && index < this.n ? column[index] : NaN;
  }
  // [lowest, highest] finite value (positive only, for a log axis) of rows 0..index of a
  // column, from running extremes kept per column: a frame asks in O(1) however long the run.
  extent(name, log, index) {
    const column = this.columns[name];
    if (!column || !this.n) return [Infinity, -Infinity];
    const key = name + (log ? ":log" : "");
    let running = this.extremes && this.extremes[key];
    if (!this.extremes || this.extremes.epoch !== this.epoch) this.extremes = { epoch: this.epoch };
    if (!running || running.low.length < this.n) {
      const low = new Float64Array(grow(new Float64Array(1), this.n, Float64Array).length);
      const high = new Float64Array(low.length);
      const from = running ? running.count : 0;
      if (running) {
        low.set(running.low.subarray(0, from));
        high.set(running.high.subarray(0, from));
      }
      running = { low, high, count: from };
    }
    for (let i = running.count; i < this.n; i++) {
      const value = column[i];
      const usable = Number.isFinite(value) && !(log && value <= 0);
      const before = i ? [running.low[i - 1], running.high[i - 1]] : [Infinity, -Infinity];
      running.low[i] = usable ? Math.min(before[0], value) : before[0];
      running.high[i] = usable ? Math.max(before[1], value) : before[1];
    }
    running.count = this.n;
    this.extremes[key] = running;
    const at = Math.min(index, this.n - 1);
    return [running.low[at], running.high[at]];
  }
}

function grow(array, size, Type) {
  if (array.length >= size) return array;
  let length = array.length;
  while (length < size) length *= 2;
  const larger = new Type(length);
  larger.set(array);
  return larger;
}

// -- one run and its playhead ----------------------------------------------------------------
class Run {
  constructor(key, data) {
    this.key = key;
    this.rows = new Rows();
    this.budget = data.budget;
    this.position = data.view.step; // the playhead, in steps (fractional while playing)
    this.playing = false;
    this.speed = data.view.speed;
    this.listeners = new Set();
    this.version = 0;
    this.wanted = null; // a step asked for that is not trained yet
    this.update(data);
  }
  update(data) {
    this.data = data;
    this.ending = data.ending;
    this.complete = data.complete;
    this.paces = Object.fromEntries(data.speeds.map((s) => [s.key, s.pace]));
    this.changed();
  }
  changed() {
    this.version++;
    for (const listener of this.listeners) listener();
  }
  index() {
    return this.rows.indexAt(Math.floor(this.position));
  }
  step() {
    return this.rows.n ? this.rows.steps[this.index()] : 0;
  }
  endStep() {
    return this.ending ? this.ending.step : null;
  }
  atEnd() {
    const end = this.endStep();
    return end !== null && this.rows.n > 0 && this.step() >= end;
  }
  pace() {
    const value = this.paces[this.speed];
    return value === undefined ? null : value;
  }
  // Moves a playing playhead on by `seconds`; returns whether it moved.
  advance(seconds) {
    if (!this.playing || !this.rows.n) return false;
    const last = this.rows.last();
    const pace = this.pace();
    const before = this.position;
    // Rows of a run still training come in bursts a few times a second. Moved at a fixed rate
    // the playhead would run into the last row and stand there until the next burst; instead
    // it closes the gap to the last row with a time constant of FOLLOW_S, never faster than the
    // pace. Max speed is that alone: it follows the trained frontier about FOLLOW_S behind.
    const gap = last - this.position;
    const follow = this.complete ? Infinity : gap * (1 - Math.exp(-seconds / FOLLOW_S));
    const paced = pace === null ? Infinity : pace * seconds;
    this.position = Math.min(last, this.position + Math.min(paced, follow));
    const end = this.endStep();
    if (end !== null && this.position >= end) {
      this.position = end;
      this.playing = false;
      this.reachedEnd = true;
    } else if (last - this.position < 1 && !this.complete) {
      this.starved = true; // waiting for the server
    }
    return this.position !== before;
  }
}

// -- a chart: plotly draws it, the playhead reveals it ---------------------------------------
class Chart {
  constructor(box, Plotly, template, config) {
    this.Plotly = Plotly;
    this.box = box;
    this.template = template;
    this.config = config;
    this.drawn = null; // {upto, hover, ranges} of the last plotly draw
    this.lastDraw = 0;
    this.userZoom = false;
    this.graph = document.createElement("div");
    this.graph.className = "l1-graph";
    this.overlay = document.createElement("div");
    this.overlay.className = "l1-overlay";
    box.append(this.graph, this.overlay);
    this.clipId = "l1clip" + Math.random().toString(36).slice(2);
    this.bound = template.data
      .map((trace, index) => ({ trace, index }))
      .filter(({ trace }) => trace.meta && trace.meta.y);
    this.dots = this.bound.map(({ trace }) => {
      const dot = document.createElement("div");
      dot.className = "l1-dot";
      dot.style.background = trace.line && trace.line.color;
      this.overlay.appendChild(dot);
      return dot;
    });
    this.spanBoxes = [];
    this.zeroNote = null;
    this.run = null;
    // plotly's own image button would draw every trained row; these draw what is shown.
    this.config = {
      ...config,
      modeBarButtonsToRemove: [...(config.modeBarButtonsToRemove || []), "toImage"],
      modeBarButtonsToAdd: ["png", "svg"].map((format) => ({
        name: `Download as ${format.toUpperCase()}`,
        icon: Plotly.Icons.camera,
        click: () => this.download(format),
      })),
    };
  }
  // The chart as drawn up to the playhead, at its size on the page, as an image file.
  download(format) {
    const run = this.run;
    if (!run || !run.rows.n || !this.graph.layout) return;
    const index = run.index();
    const data = this.template.data.map((trace) => {
      const meta = trace.meta || {};
      if (!meta.y) return trace;
      const [x, y] = thin(run.rows, meta.y, index, meta.log);
      return { ...trace, x, y };
    });
    const layout = JSON.parse(JSON.stringify(this.graph.layout));
    const size = this.graph._fullLayout || {};
    const name = this.box.dataset.chart || "chart";
    this.Plotly.downloadImage(
      { data, layout },
      { format, filename: `l1viz-${name}-step-${run.rows.steps[index]}`, width: size.width, height: size.height },
    );
  }
  setTemplate(template) {
    if (JSON.stringify(template) === JSON.stringify(this.template)) return;
    this.template = template;
    this.drawn = null;
  }
  height(value) {
    if (this.heightPx !== value) {
      this.heightPx = value;
      this.graph.style.height = `${value}px`; // plotly's responsive container fills its parent
      this.drawn = null;
    }
  }
  // Axis ranges from the rows up to `index` (and the template's y_include), rounded outward so
  // they change only now and then.
  ranges(rows, index) {
    const meta = this.template.layout.meta || {};
    const step = rows.n ? rows.steps[index] : 0;
    const x = [0, niceAbove(Math.max(step, 10))];
    if (this.template.layout.yaxis && this.template.layout.yaxis.autorange === false) {
      return { x, y: this.template.layout.yaxis.range };
    }
    let low = Infinity;
    let high = -Infinity;
    for (const value of meta.y_include || []) {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
    for (const { trace } of this.bound) {
      const [least, most] = rows.extent(trace.meta.y, meta.log_y, index);
      low = Math.min(low, least);
      high = Math.max(high, most);
    }
    if (!Number.isFinite(low)) return { x, y: meta.log_y ? [-3, 1] : [-0.1, 1.1] };
    if (meta.log_y) {
      const top = Math.ceil(Math.log10(high) + 0.05);
      const bottom = Math.min(Math.floor(Math.log10(low) - 0.05), top - 1);
      const decades = top - bottom;
      return { x, y: [bottom, top], dtick: decades <= 6 ? 1 : decades <= 12 ? 2 : 3 };
    }
    const span = Math.max(high - low, 0.1);
    const unit = niceAbove(span / 5) / 2;
    return {
      x,
      y: [Math.floor((low - 0.05 * span) / unit) * unit, Math.ceil((high + 0.05 * span) / unit) * unit],
    };
  }
  // Draws with plotly when what is shown must change; returns a promise when it draws.
  sync(run, urgent) {
    const rows = run.rows;
    if (!rows.n) return null;
    const index = run.index();
    const hover = !run.playing;
    const upto = hover ? index : rows.n - 1;
    const ranges = this.ranges(rows, index);
    const drawn = this.drawn;
    // While playing, the traces hold rows ahead of the playhead (the clip hides them): rows
    // that arrive are drawn once the playhead is half way through those, not on every arrival
    // (each redraw of both charts costs frames).
    const ahead = !hover && drawn && drawn.epoch === rows.epoch && index <= drawn.redrawAt;
    const same =
      drawn &&
      drawn.hover === hover &&
      ((drawn.upto === upto && drawn.n === rows.n) || ahead) &&
      (this.userZoom || sameRanges(drawn.ranges, ranges));
    if (same) return null;
    const behind = !drawn || drawn.upto < index || drawn.hover !== hover;
    const now = performance.now();
    if (!behind && !urgent && now - this.lastDraw < REDRAW_MS) return null;
    if (this.drawing) {
      this.again = true;
      return null;
    }
    this.lastDraw = now;
    return this.draw(run, upto, hover, ranges);
  }
  draw(run, upto, hover, ranges) {
    this.run = run;
    const rows = run.rows;
    const template = this.template;
    const data = template.data.map((trace) => {
      const meta = trace.meta || {};
      if (meta.y) {
        const [x, y] = thin(rows, meta.y, upto, meta.log);
        return { ...trace, x, y };
      }
      if (meta.reveal_from !== undefined) {
        return { ...trace, visible: rows.steps[Math.min(upto, rows.n - 1)] >= meta.reveal_from };
      }
      return trace;
    });
    const layout = JSON.parse(JSON.stringify(template.layout));
    layout.height = this.heightPx || layout.height;
    layout.hovermode = hover ? "closest" : false;
    layout.uirevision = run.key;
    // While the user has zoomed, the ranges the player last gave are given again unchanged:
    // plotly then keeps the user's (`uirevision`), where new ones would override them.
    const given = this.userZoom && this.appRanges ? this.appRanges : ranges;
    this.appRanges = given;
    layout.xaxis = { ...layout.xaxis, range: given.x, autorange: false };
    layout.yaxis = { ...layout.yaxis, range: given.y, autorange: false };
    if (given.dtick) layout.yaxis.dtick = given.dtick; // a log axis: decades only
    const config = { ...this.config, responsive: true };
    this.drawing = true;
    const index = run.index();
    const redrawAt = hover ? upto : index + Math.floor((upto - index) / 2);
    const drawn = { upto, hover, ranges, n: rows.n, epoch: rows.epoch, redrawAt };
    const done = () => {
      this.drawing = false;
        if (this.again) {
        this.again = false;
        this.sync(run, true);
      }
    };
    return this.Plotly.react(this.graph, data, layout, config).then(
      () => {
        this.drawn = drawn;
        if (!this.listening) this.listen(run);
        this.reveal(run);
        done();
      },
      (error) => {
        console.error("l1viz player: a chart could not be drawn", error);
        done();
      },
    );
  }
  // A zoom, pan or box the user draws shows as a relayout (the player's own draws are reacts,
  // which send none); a double click asks for autorange: the player ranges the axes again.
  listen() {
    this.listening = true;
    this.graph.on("plotly_relayout", (event) => {
      const keys = Object.keys(event);
      if (keys.some((k) => k.endsWith(".autorange"))) {
        this.userZoom = false;
        this.drawn = null;
      } else if (keys.some((k) => /^[xy]axis\.range/.test(k))) {
        this.userZoom = true;
      }
    });
  }
  // Per frame: the clip at the playhead, the dots on the current values, the shaded spans.
  reveal(run) {
    const layout = this.graph._fullLayout;
    if (!layout || !layout.xaxis || !this.drawn) return;
    const size = layout._size;
    const rows = run.rows;
    const index = run.index();
    const step = rows.n ? rows.steps[index] : 0;
    const x = layout.xaxis.c2p(step);
    const layer = this.graph.querySelector(".cartesianlayer .subplot.xy .plot .scatterlayer");
    if (layer) {
      const clip = this.clipRect(layout, size);
      clip.setAttribute("width", String(Math.max(0, Math.min(size.w + 20, x + 6))));
      clip.setAttribute("height", String(size.h + 40));
      if (layer.getAttribute("clip-path") !== `url(#${this.clipId})`) {
        layer.setAttribute("clip-path", `url(#${this.clipId})`);
      }
    }
    const yaxis = layout.yaxis;
    this.bound.forEach(({ trace }, i) => {
      const value = rows.value(trace.meta.y, index);
      const dot = this.dots[i];
      const shown = Number.isFinite(value) && !(trace.meta.log && value <= 0);
      const y = shown ? yaxis.c2p(value) : NaN;
      if (!shown || !Number.isFinite(y) || y < -2 || y > size.h + 2 || x > size.w + 2) {
        dot.style.display = "none";
        return;
      }
      dot.style.display = "block";
      dot.style.transform = `translate(${size.l + x}px, ${size.t + y}px)`;
    });
    this.showSpans(run, layout, size, step);
    this.showZero(run, index, size);
  }
  clipRect(layout, size) {
    let rect = this.graph.querySelector(`#${this.clipId} rect`);
    if (!rect) {
      const svg = this.graph.querySelector("svg.main-svg");
      const ns = "http://www.w3.org/2000/svg";
      let defs = svg.querySelector("defs");
      if (!defs) defs = svg.insertBefore(document.createElementNS(ns, "defs"), svg.firstChild);
      const clip = document.createElementNS(ns, "clipPath");
      clip.setAttribute("id", this.clipId);
      rect = document.createElementNS(ns, "rect");
      rect.setAttribute("x", "-20");
      rect.setAttribute("y", "-20");
      clip.appendChild(rect);
      defs.appendChild(clip);
    }
    return rect;
  }
  // A stretch is known to be dead (or diverged) only once the verdict is: shaded from then on.
  showSpans(run, layout, size, step) {
    const spans = this.showsSpans && run.atEnd() ? run.ending.spans : [];
    while (this.spanBoxes.length < spans.length) {
      const box = document.createElement("div");
      box.className = "l1-span";
      box.appendChild(document.createElement("span"));
      this.overlay.insertBefore(box, this.overlay.firstChild);
      this.spanBoxes.push(box);
    }
    this.spanBoxes.forEach((box, i) => {
      const span = spans[i];
      if (!span || step < span.start) {
        box.style.display = "none";
        return;
      }
      const left = Math.max(0, layout.xaxis.c2p(span.start));
      const right = Math.min(size.w, layout.xaxis.c2p(Math.min(step, span.end)));
      box.style.display = "block";
      box.style.left = `${size.l + left}px`;
      box.style.top = `${size.t}px`;
      box.style.width = `${Math.max(3, right - left)}px`;
      box.style.height = `${size.h}px`;
      box.style.background = span.color + "40";
      box.firstChild.textContent = span.words;
      box.firstChild.style.color = span.color;
    });
  }
  // A loss of exactly 0 has no place on a log axis: say so rather than draw nothing.
  showZero(run, index, size) {
    const logged = this.bound.filter(({ trace }) => trace.meta.log);
    if (!logged.length) return;
    const zero = logged.some(({ trace }) => run.rows.value(trace.meta.y, index) === 0);
    if (!this.zeroNote) {
      this.zeroNote = document.createElement("div");
      this.zeroNote.className = "l1-zero";
      this.zeroNote.textContent = "loss = 0 at this step: below any log axis, not drawn";
      this.overlay.appendChild(this.zeroNote);
    }
    // Top right: a loss that reached 0 has come down, so its curve is low by then.
    this.zeroNote.style.display = zero ? "block" : "none";
    this.zeroNote.style.left = `${size.l + size.w - 8}px`;
    this.zeroNote.style.top = `${size.t + 6}px`;
  }
  resize() {
    if (this.graph._fullLayout && this.graph.isConnected && this.graph.offsetParent) {
      this.Plotly.Plots.resize(this.graph).catch(() => {}); // a chart hidden meanwhile: no matter
    }
  }
}

function sameRanges(a, b) {
  return a && b && a.x[0] === b.x[0] && a.x[1] === b.x[1] && a.y[0] === b.y[0] && a.y[1] === b.y[1];
}

function niceAbove(value) {
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= value * 1.02) return factor * power;
  }
  return 10 * power;
}

// The rows 0..upto of one column as drawable arrays: every row when there are few, else the
// first, lowest, highest and last of each bucket (the envelope of a noisy loss survives).
function thin(rows, name, upto, log) {
  const column = rows.columns[name];
  const count = Math.min(upto + 1, rows.n);
  const clean = (value) => (Number.isFinite(value) && !(log && value <= 0) ? value : NaN);
  if (!column) return [[], []];
  if (count <= MAX_POINTS) {
    const x = new Array(count);
    const y = new Array(count);
    for (let i = 0; i < count; i++) {
      x[i] = rows.steps[i];
      y[i] = clean(column[i]);
    }
    return [x, y];
  }
  const buckets = Math.floor(MAX_POINTS / 4);
  const size = count / buckets;
  const x = [];
  const y = [];
  for (let b = 0; b < buckets; b++) {
    const first = Math.floor(b * size);
    const last = Math.min(count - 1, Math.floor((b + 1) * size) - 1);
    let low = first;
    let high = first;
    let gap = false;
    for (let i = first; i <= last; i++) {
      const value = clean(column[i]);
      if (Number.isNaN(value)) gap = true;
      else {
        if (!(clean(column[low]) <= value)) low = i;
        if (!(clean(column[high]) >= value)) high = i;
      }
    }
    const picks = [...new Set([first, low, high, last])].sort((a, b) => a - b);
    for (const i of picks) {
      x.push(rows.steps[i]);
      y.push(clean(column[i]));
    }
    if (gap) {
      x.push(rows.steps[last]);
      y.push(NaN);
    }
  }
  return [x, y];
}

// -- the player: controls, status, numbers, charts, timeline ---------------------------------
const ICONS = {
  reset: "M6 6h2v12H6zm3.5 6 8.5 6V6z",
  play: "M8 5v14l11-7z",
  pause: "M6 19h4V5H6v14zm8-14v14h4V5h-4z",
};
function icon(name) {
  return name ? `<svg viewBox="0 0 24 24" aria-hidden="true"><path d="${ICONS[name]}"/></svg>` : "";
}
const CONTROLS = [
  ["reset", "Reset", "reset", "Back to step 0 (Home)"],
  ["back100", "−100", "", "100 steps back (Shift+←)"],
  ["back1", "−1", "", "One step back (←)"],
  ["play", "Play", "play", "Play or pause (space)"],
  ["fwd1", "+1", "", "One step on (→)"],
  ["fwd100", "+100", "", "100 steps on (Shift+→)"],
];

class Player {
  constructor(parent, setTriggerValue) {
    this.send = setTriggerValue;
    this.root = document.createElement("div");
    this.root.className = "l1-player";
    this.root.tabIndex = 0;
    this.root.setAttribute("aria-label", "Live training player");
    this.root.innerHTML = `
      <div class="l1-bar" role="toolbar"></div>
      <div class="l1-status"><span class="l1-badge" data-testid="l1-badge"></span>
        <span class="l1-sentence" data-testid="l1-sentence"></span></div>
      <div class="l1-metrics"></div>
      <div class="l1-charts"><div class="l1-chart" data-chart="loss"></div>
        <div class="l1-chart" data-chart="params"></div></div>
      <div class="l1-timeline"><input type="range" min="0" max="0" value="0" step="1"
        aria-label="Timeline: the step shown" data-testid="l1-timeline">
        <span class="l1-where" data-testid="l1-where"></span></div>
      <div class="l1-notes"></div>
      <div class="l1-message"></div>`;
    parent.appendChild(this.root);
    this.buttons = {};
    const bar = this.root.querySelector(".l1-bar");
    for (const [name, label, symbol, help] of CONTROLS) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.control = name;
      button.title = help;
      button.innerHTML = `<span class="l1-icon">${icon(symbol)}</span><span class="l1-label">${label}</span>`;
      if (name === "play") button.classList.add("l1-primary");
      button.addEventListener("click", () => this.control(name));
      bar.appendChild(button);
      this.buttons[name] = button;
    }
    this.speedBox = document.createElement("select");
    this.speedBox.setAttribute("aria-label", "Speed");
    this.speedBox.title = "Playback speed, in training steps per second of your time";
    this.speedBox.addEventListener("change", () => this.setSpeed(this.speedBox.value));
    bar.appendChild(this.speedBox);
    this.badge = this.root.querySelector(".l1-badge");
    this.sentence = this.root.querySelector(".l1-sentence");
    this.notes = this.root.querySelector(".l1-notes");
    this.metricsBox = this.root.querySelector(".l1-metrics");
    this.timeline = this.root.querySelector(".l1-timeline input");
    this.where = this.root.querySelector(".l1-where");
    this.message = this.root.querySelector(".l1-message");
    this.timeline.addEventListener("input", () => this.scrub(false));
    this.timeline.addEventListener("change", () => this.scrub(true));
    this.root.addEventListener("keydown", (event) => this.key(event));
    this.charts = {};
    this.shown = {};
    this.resizer = new ResizeObserver(() => this.layout());
    this.resizer.observe(this.root);
  }

  setData(data) {
    // Streamlit may hand a mount an outdated update after a newer one: a run older than the
    // newest a player has shown (a session's runs are "token:1", "token:2", ...) is not shown
    // again, or the newer run would come back after it as a fresh one, its playhead lost.
    const [token, serial] = data.run.split(":");
    if (NEWEST.token === token && Number(serial) < NEWEST.serial) return;
    Object.assign(NEWEST, { token, serial: Number(serial) });
    this.data = data;
    this.taken = data.taken; // the number of the last event the server has taken
    let run = RUNS.get(data.run);
    const fresh = !run;
    // A setting changed while the last run played (or as Play was clicked, which committed a
    // typed value): the new run plays on, as the old one did.
    const asked = this.intent === "play" && performance.now() - this.playedAt < 2000;
    const playOn = fresh && this.run && (this.run.playing || asked);
    if (fresh) {
      RUNS.clear(); // the page shows one run: the one this player now has
      run = new Run(data.run, data);
      RUNS.set(data.run, run);
    }
    run.rows.accept(data.rows);
    run.update(data);
    // Tell the server which rows this player holds whenever it believes otherwise (it sends
    // from where it believes the player is): rows arrived, or some never did.
    if (data.rows.start !== run.rows.n || data.rows.epoch !== run.rows.epoch) this.emit(run, "ack");
    if (this.run !== run) {
      this.run = run;
      this.shown = {};
      this.speeds(data);
      this.buildCharts(data);
      if (fresh && (data.autoplay || playOn)) this.play();
    } else {
      for (const [name, chart] of Object.entries(this.charts)) {
        chart.setTemplate(data.templates[name]);
      }
    }
    if (run.playAsked && run.rows.n) this.play(); // Play was pressed before any row came
    this.message.textContent = data.error ? `Training stopped: ${data.error}` : "";
    if (run.wanted !== null && run.rows.last() >= run.wanted) {
      const target = run.wanted;
      run.wanted = null;
      this.seek(target, true);
    }
    run.starved = false;
    this.frame(true);
  }

  speeds(data) {
    this.speedBox.innerHTML = "";
    for (const speed of data.speeds) {
      const option = document.createElement("option");
      option.value = speed.key;
      option.textContent = speed.label;
      this.speedBox.appendChild(option);
    }
    this.speedBox.value = this.run.speed;
  }

  buildCharts(data) {
    const config = { displaylogo: false, modeBarButtonsToRemove: ["zoomIn2d", "zoomOut2d", "autoScale2d"] };
    loadPlotly(data.plotly).then(
      (Plotly) => {
        for (const box of this.root.querySelectorAll(".l1-chart")) {
          const name = box.dataset.chart;
          box.innerHTML = "";
          const chart = new Chart(box, Plotly, this.data.templates[name], config);
          chart.showsSpans = true;
          this.charts[name] = chart;
        }
        this.layout();
        this.frame(true);
      },
      (error) => {
        this.message.textContent = `The charts could not load: ${error.message}. Reload the page.`;
      },
    );
  }

  layout() {
    const width = this.root.clientWidth;
    const side = width >= 820;
    this.root.classList.toggle("l1-stacked", !side);
    const height = side ? 300 : 230;
    for (const chart of Object.values(this.charts)) {
      chart.height(height);
      chart.resize();
    }
    this.frame(true);
  }

  // -- controls -------------------------------------------------------------------------------
  control(name) {
    const run = this.run;
    if (!run) return;
    if (name === "play") return run.playing ? this.pause() : this.play();
    if (name === "reset") return this.seek(0, true);
    const moves = { back100: -100, back1: -1, fwd1: 1, fwd100: 100 };
    this.move(moves[name]);
  }
  play() {
    const run = this.run;
    if (!run.rows.n) {
      run.playAsked = true; // no row has come yet: play once the first ones do
      return;
    }
    run.playAsked = false;
    if (run.atEnd()) run.position = 0; // Play at the end plays it again
    run.playing = true;
    run.reachedEnd = false;
    this.playedAt = performance.now();
    this.intent = "play";
    this.lastTime = null;
    this.emit(run, "play");
    this.frame(true);
  }
  pause() {
    const run = this.run;
    run.playAsked = false;
    this.intent = "pause";
    run.playing = false;
    run.position = run.step();
    this.emit(run, "pause");
    this.frame(true);
  }
  // Steps by `count` (±1, ±100): at least one recorded row each way.
  move(count) {
    const run = this.run;
    if (run.playing) run.playing = false;
    const rows = run.rows;
    const index = run.index();
    let target;
    if (count > 0) {
      const wanted = rows.steps[index] + count;
      const end = run.endStep();
      const goal = end !== null ? Math.min(wanted, end) : Math.min(wanted, run.budget);
      if (goal > rows.last()) {
        run.wanted = goal;
        this.emit(run, "need", goal);
        target = rows.last();
      } else {
        target = rows.steps[Math.max(index + 1 > rows.n - 1 ? index : index + 1, rows.indexFrom(goal))];
      }
    } else {
      const goal = Math.max(0, rows.steps[index] + count);
      target = rows.steps[Math.min(rows.indexAt(goal), Math.max(0, index - 1))];
    }
    this.seek(target, true);
  }
  seek(step, report) {
    const run = this.run;
    run.playing = run.playAsked = false;
    run.position = run.rows.steps[run.rows.indexAt(step)] || 0;
    if (report) this.emitSoon(run, run.atEnd() ? "end" : "seek");
    this.frame(true);
  }
  scrub(done) {
    const run = this.run;
    if (!run || !run.rows.n) return;
    const index = Math.min(Number(this.timeline.value), run.rows.n - 1);
    run.playing = false;
    run.position = run.rows.steps[index];
    if (done) this.emitSoon(run, run.atEnd() ? "end" : "seek");
    this.frame(true);
  }
  setSpeed(speed) {
    const run = this.run;
    run.speed = speed;
    if (run.playing) this.emit(run, "play");
    else this.emit(run, "seek");
  }
  key(event) {
    const run = this.run;
    if (!run || event.target === this.speedBox) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1 };
    if (event.key === " " || event.key === "k") {
      event.preventDefault();
      this.control("play");
    } else if (event.key in moves) {
      event.preventDefault();
      if (event.target === this.timeline) return; // the slider moves itself
      this.move(moves[event.key] * (event.shiftKey ? 100 : 1));
    } else if (event.key === "Home") {
      event.preventDefault();
      this.seek(0, true);
    } else if (event.key === "End") {
      event.preventDefault();
      this.seek(run.rows.last(), true);
    }
  }

  emit(run, kind, at, tries = 0) {
    const step = at === undefined ? run.step() : at;
    const number = ++EVENTS.count;
    const rows = run.rows;
    const held = { have: rows.n, epoch: Math.max(rows.epoch, 0), last: rows.n ? rows.last() : -1 };
    const event = { kind, run: run.key, step, speed: run.speed, ...held };
    this.send(kind, { ...event, number }); // one trigger per kind: none overwrites another
    if (kind === "ack") return; // every update says again which rows the server believes held
    this.sent = { kind, at, run: run.key, number, tries };
    clearTimeout(this.resendTimer);
    this.resendTimer = setTimeout(() => this.resend(), RESEND_MS * (tries + 1));
  }
  // The last event that moved the playhead, if the server has not taken it: again.
  resend() {
    const sent = this.sent;
    const run = this.run;
    if (!sent || !run || run.key !== sent.run || this.taken >= sent.number) return;
    if (sent.tries >= RESENDS) return;
    this.emit(run, sent.kind, sent.kind === "need" ? sent.at : undefined, sent.tries + 1);
  }
  // Seeks come in bursts (a held key, a drag): tell the server where the playhead settled.
  emitSoon(run, kind) {
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.emit(run, run.atEnd() ? "end" : kind), 150);
  }

  // -- drawing ----------------------------------------------------------------------------------
  tick(now) {
    const run = this.run;
    if (!run) return;
    const seconds = this.lastTime === null || this.lastTime === undefined ? 0 : (now - this.lastTime) / 1000;
    this.lastTime = now;
    if (run.playing) {
      run.advance(Math.min(seconds, 0.25));
      if (run.reachedEnd) {
        run.reachedEnd = false;
        this.intent = "ended"; // a setting changed after this starts its run ready, not playing
        this.emit(run, "end");
      } else if (run.starved && (!this.lastNeed || now - this.lastNeed > NEED_MS)) {
        this.lastNeed = now;
        this.emit(run, "need", Math.ceil(run.position) + 1);
      }
      this.frame(false);
    }
  }

  frame(urgent) {
    const run = this.run;
    if (!run) return;
    for (const chart of Object.values(this.charts)) {
      chart.sync(run, urgent);
      chart.reveal(run);
    }
    this.status(run);
    run.changed();
  }

  status(run) {
    const rows = run.rows;
    const index = run.index();
    const step = rows.n ? rows.steps[index] : 0;
    const data = this.data;
    const ended = run.atEnd();
    let label;
    let color;
    let sentence;
    if (ended) {
      label = run.ending.label;
      color = run.ending.color;
      sentence = run.ending.sentence;
    } else {
      const kind = run.playing ? "training" : step === 0 ? "ready" : "paused";
      label = kind;
      color = data.pending[kind];
      const loss = rows.value("loss", index);
      sentence =
        kind === "ready"
          ? data.ready
          : `Training: step ${grouped(step)} of ${grouped(run.budget)}, batch loss ${significant(loss, 3)}.`;
      if (run.wanted !== null) sentence += ` Training up to step ${grouped(run.wanted)}…`;
      else if (run.playing && run.starved) sentence += " Waiting for the server to train further…";
    }
    this.set("badge", label, () => {
      this.badge.textContent = label;
      this.badge.style.color = color;
      this.badge.style.background = color + "22";
      this.badge.style.borderColor = color + "66";
    });
    this.set("sentence", sentence, () => {
      this.sentence.textContent = sentence;
      this.sentence.title = sentence; // the whole of it, when two lines cut it short
    });
    const notes = ended ? noteList(run.ending) : [];
    this.set("notes", JSON.stringify(notes), () => {
      this.notes.innerHTML = "";
      for (const note of notes) {
        const line = document.createElement("div");
        line.className = "l1-note" + (note.alarming ? " l1-alarm" : "");
        if (note.badge) {
          const badge = document.createElement("span");
          badge.className = "l1-badge";
          badge.textContent = note.badge;
          badge.style.color = note.color;
          badge.style.background = note.color + "22";
          badge.style.borderColor = note.color + "66";
          line.append(badge, " ");
        }
        line.append(note.text);
        this.notes.appendChild(line);
      }
    });
    this.metrics(run, index, step);
    const playLabel = run.playing ? "Pause" : "Play";
    this.set("play", playLabel, () => {
      const button = this.buttons.play;
      button.querySelector(".l1-label").textContent = playLabel;
      button.querySelector(".l1-icon").innerHTML = icon(run.playing ? "pause" : "play");
      button.setAttribute("aria-label", playLabel);
    });
    const max = Math.max(0, rows.n - 1);
    if (Number(this.timeline.max) !== max) this.timeline.max = String(max);
    if (document.activeElement !== this.timeline || run.playing) {
      if (Number(this.timeline.value) !== index) this.timeline.value = String(index);
    }
    // The timeline spans what is trained, which says nothing of how the run ends.
    const trained = run.complete ? "" : ` (budget ${grouped(run.budget)})`;
    const where = `step ${grouped(step)} of ${grouped(rows.last())} trained${trained}`;
    this.set("where", where, () => (this.where.textContent = where));
    this.root.dataset.step = String(step);
    this.root.dataset.state = ended ? "ended" : run.playing ? "playing" : "paused";
  }

  metrics(run, index, step) {
    const rows = run.rows;
    const data = this.data;
    const items = [[`step (of ${grouped(run.budget)})`, grouped(step), String(step), "step"]];
    const loss = rows.value("loss", index);
    items.push(["batch loss", significant(loss, 4), exact32(loss), "loss"]);
    for (const name of data.metrics) {
      const value = rows.value(name, index);
      items.push([name, fixed(value, data.digits), exact32(value), name]);
    }
    const active = rows.value("active", index);
    items.push(["active", percent(active), exact32(active), "active"]);
    const text = JSON.stringify(items);
    this.set("metrics", text, () => {
      this.metricsBox.innerHTML = "";
      for (const [label, value, exact, name] of items) {
        const cell = document.createElement("div");
        cell.className = "l1-metric";
        cell.dataset.name = name;
        cell.innerHTML = `<div class="l1-metric-label"></div><div class="l1-metric-value"></div>`;
        cell.firstChild.textContent = label;
        cell.lastChild.textContent = value;
        cell.lastChild.title = exact;
        cell.lastChild.dataset.exact = exact;
        this.metricsBox.appendChild(cell);
      }
    });
  }

  set(part, value, apply) {
    if (this.shown[part] === value) return;
    this.shown[part] = value;
    apply();
  }

  destroy() {
    this.resizer.disconnect();
    clearTimeout(this.resendTimer);
  }
}

function noteList(ending) {
  const notes = ending.notes.map((note) => ({ ...note }));
  if (ending.agreement) {
    notes.push({ badge: ending.agreement.label, color: ending.agreement.color, text: ending.agreement.sentence });
  }
  return notes;
}

// -- a chart of the same run elsewhere on the page (the Firing tab's active share) -----------
class Follower {
  constructor(parent) {
    this.root = document.createElement("div");
    this.root.className = "l1-follower";
    parent.appendChild(this.root);
    this.box = document.createElement("div");
    this.box.className = "l1-chart";
    this.root.appendChild(this.box);
    this.note = document.createElement("div");
    this.note.className = "l1-message";
    this.root.appendChild(this.note);
    this.listener = () => this.draw();
  }
  setData(data) {
    // Streamlit may hand a mount an outdated update after a newer one: a run older than the
    // newest a player has shown (a session's runs are "token:1", "token:2", ...) is not shown
    // again, or the newer run would come back after it as a fresh one, its playhead lost.
    const [token, serial] = data.run.split(":");
    if (NEWEST.token === token && Number(serial) < NEWEST.serial) return;
    Object.assign(NEWEST, { token, serial: Number(serial) });
    this.data = data;
    this.taken = data.taken; // the number of the last event the server has taken
    loadPlotly(data.plotly).then((Plotly) => {
      if (!this.chart) {
        this.chart = new Chart(this.box, Plotly, data.template, { displaylogo: false });
        this.chart.showsSpans = true;
        this.chart.height(data.height || 360);
      } else {
        this.chart.setTemplate(data.template);
      }
      this.attach();
    });
  }
  attach() {
    const run = RUNS.get(this.data.run);
    if (this.run !== run) {
      if (this.run) this.run.listeners.delete(this.listener);
      this.run = run;
      if (run) run.listeners.add(this.listener);
    }
    this.note.textContent = run ? "" : "The run is loading…";
    this.draw();
  }
  draw() {
    if (!this.run || !this.chart) return;
    this.chart.sync(this.run, false);
    this.chart.reveal(this.run);
  }
  destroy() {
    if (this.run) this.run.listeners.delete(this.listener);
  }
}

// -- the landscape: the path on the plane, up to the playhead ----------------------------------
const SVG = "http://www.w3.org/2000/svg";

class Plane {
  constructor(parent) {
    this.root = document.createElement("div");
    this.root.className = "l1-follower l1-plane";
    parent.appendChild(this.root);
    this.box = document.createElement("div");
    this.box.className = "l1-chart";
    this.graph = document.createElement("div");
    this.graph.className = "l1-graph";
    this.svg = document.createElementNS(SVG, "svg");
    this.svg.setAttribute("class", "l1-path");
    this.path = document.createElementNS(SVG, "polyline");
    this.start = document.createElementNS(SVG, "circle");
    this.now = document.createElementNS(SVG, "circle");
    this.svg.append(this.path, this.start, this.now);
    this.box.append(this.graph, this.svg);
    this.root.appendChild(this.box);
    this.note = document.createElement("div");
    this.note.className = "l1-message";
    this.root.appendChild(this.note);
    this.listener = () => this.frame();
    this.level = null;
  }
  setData(data) {
    const changed = !this.data || JSON.stringify(data.levels) !== JSON.stringify(this.data.levels) ||
      JSON.stringify(data.template) !== JSON.stringify(this.data.template);
    this.data = data;
    const color = data.template.layout.meta.path_color;
    this.path.setAttribute("stroke", color);
    this.now.setAttribute("fill", color);
    this.start.setAttribute("stroke", color);
    loadPlotly(data.plotly).then((Plotly) => {
      this.Plotly = Plotly;
      if (changed) this.level = null;
      const run = RUNS.get(data.run);
      if (this.run !== run) {
        if (this.run) this.run.listeners.delete(this.listener);
        this.run = run;
        if (run) run.listeners.add(this.listener);
        this.level = null;
      }
      this.note.textContent = run ? "" : "The run is loading…";
      this.frame();
    });
  }
  levelAt(index) {
    const levels = this.data.levels;
    if (levels.length <= 1) return 0;
    let best = 0;
    let distance = Infinity;
    const rows = this.run.rows;
    levels.forEach((level, i) => {
      let d = 0;
      this.data.level_columns.forEach((name, j) => {
        const value = rows.value(name, index);
        d += Number.isFinite(value) ? Math.abs(value - level.key[j]) : 0;
      });
      if (d < distance) {
        distance = d;
        best = i;
      }
    });
    return best;
  }
  frame() {
    const run = this.run;
    if (!run || !this.Plotly || !run.rows.n || !this.root.isConnected) return;
    const index = run.index();
    const level = this.levelAt(index);
    if (level !== this.level && !this.drawing) {
      this.level = level;
      const chosen = this.data.levels[level];
      const template = this.data.template;
      const layout = { ...JSON.parse(JSON.stringify(template.layout)), images: [chosen.image] };
      this.graph.style.height = `${layout.height}px`; // plotly's responsive container fills it
      layout.title = { ...layout.title, subtitle: { ...(layout.title.subtitle || {}), text: chosen.label } };
      this.drawing = true;
      this.Plotly.react(this.graph, [...chosen.traces, ...template.data], layout, {
        displaylogo: false,
        responsive: true,
      }).then(() => {
        this.drawing = false;
        this.frame();
      });
      return;
    }
    const full = this.graph._fullLayout;
    if (!full || !full.xaxis) return;
    const size = full._size;
    Object.assign(this.svg.style, { left: `${size.l}px`, top: `${size.t}px` });
    this.svg.setAttribute("width", String(size.w));
    this.svg.setAttribute("height", String(size.h));
    const xs = run.rows.columns.w_hh;
    const ys = run.rows.columns.w_ih;
    const stride = Math.max(1, Math.ceil((index + 1) / MAX_POINTS));
    const points = [];
    const place = (i) => [full.xaxis.c2p(xs[i]), full.yaxis.c2p(ys[i])];
    for (let i = 0; i <= index; i += stride) {
      const [x, y] = place(i);
      if (Number.isFinite(x) && Number.isFinite(y)) points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    const [nx, ny] = place(index);
    if (Number.isFinite(nx) && Number.isFinite(ny)) points.push(`${nx.toFixed(1)},${ny.toFixed(1)}`);
    this.path.setAttribute("points", points.join(" "));
    const [sx, sy] = place(0);
    for (const [circle, x, y] of [[this.start, sx, sy], [this.now, nx, ny]]) {
      const shown = Number.isFinite(x) && Number.isFinite(y);
      circle.setAttribute("cx", shown ? x.toFixed(1) : "-99");
      circle.setAttribute("cy", shown ? y.toFixed(1) : "-99");
    }
  }
  destroy() {
    if (this.run) this.run.listeners.delete(this.listener);
  }
}

// -- the page's one animation loop -----------------------------------------------------------
const PLAYERS = new Set();
window.l1vizPlayers = PLAYERS; // for tests: one may stand between a player and the server
function loop(now) {
  for (const player of PLAYERS) {
    if (player.root.isConnected) player.tick(now);
    else {
      player.destroy();
      PLAYERS.delete(player);
    }
  }
  requestAnimationFrame(loop);
}
let looping = false;

// Streamlit calls this on every data change with the same parent element, and may call it for a
// change that is already outdated, then run that call's cleanup at once: a cleanup acts only if
// no later call has come for its element since.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let mount = MOUNTS.get(parentElement);
  if (!mount || mount.role !== data.role) {
    if (mount) {
      mount.view.destroy();
      mount.view.root.remove();
    }
    const roles = { player: Player, chart: Follower, plane: Plane };
    const view = new (roles[data.role] || Follower)(parentElement, setTriggerValue);
    mount = { role: data.role, view, generation: 0 };
    MOUNTS.set(parentElement, mount);
    if (data.role === "player") PLAYERS.add(view);
  } else if (mount.role === "player") {
    mount.view.send = setTriggerValue;
  }
  const generation = ++mount.generation;
  mount.view.setData(data);
  if (!looping) {
    looping = true;
    requestAnimationFrame(loop);
  }
  return () => {
    if (MOUNTS.get(parentElement) !== mount || mount.generation !== generation) return;
    mount.view.destroy();
    mount.view.root.remove();
    PLAYERS.delete(mount.view);
    MOUNTS.delete(parentElement);
  };
}
