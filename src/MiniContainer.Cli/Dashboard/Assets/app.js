// The dashboard's data: a poll every second (the container, network and image lists, and each running container's
// cgroup counters) plus the daemon's event stream, which also triggers a poll at once. Everything goes through the
// CLI's read-only relay (/api/…), with the token from the URL in a header.
import { renderContainers, renderImages, renderTicker, renderDetails, containerName } from "./views.js";
import { renderGraph } from "./graph.js";

const POLL_MS = 1000, TICKER_LENGTH = 15;

// The token arrives in the URL the CLI printed; keep it for this tab and take it out of the address bar.
const token = (() => {
  const fromUrl = new URLSearchParams(location.search).get("token");
  if (fromUrl) { sessionStorage.setItem("mc-dashboard-token", fromUrl); history.replaceState(null, "", "/"); }
  return fromUrl || sessionStorage.getItem("mc-dashboard-token") || "";
})();

async function api(path) {
  const response = await fetch("/api" + path, { headers: { "X-Dashboard-Token": token }, cache: "no-store" });
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).message; } catch { }
    throw new Error(message);
  }
  return response;
}
const getJson = async path => (await api(path)).json();

const state = {
  containers: [], networks: [], images: [],
  imageDetails: new Map(),   // image id → GET /images/{id}/json (layers, lower dirs)
  stats: new Map(),          // container id → its last stats sample
  cpuPercent: new Map(),     // container id → CPU % between its last two samples
  kernels: new Map(),        // container id → GET /containers/{id}/kernel, kept until an event says it changed
  events: [],
  selected: null,
};

const $ = id => document.getElementById(id);
function setStatus(text, error) { const s = $("status"); s.textContent = text; s.className = "status" + (error ? " error" : ""); }

/** CPU %: the container's CPU time over the host's between two samples, times the CPUs (docker stats' formula). */
function cpuPercent(previous, current) {
  if (!previous || !current) return null;
  const dc = current.cpu_stats.cpu_usage.total_usage - previous.cpu_stats.cpu_usage.total_usage;
  const ds = current.cpu_stats.system_cpu_usage - previous.cpu_stats.system_cpu_usage;
  return ds > 0 && dc >= 0 ? (dc / ds) * (current.cpu_stats.online_cpus || 1) * 100 : null;
}

async function loadStats(c) {
  try {
    const sample = await getJson(`/containers/${c.Id}/stats`);
    state.cpuPercent.set(c.Id, cpuPercent(state.stats.get(c.Id), sample) ?? state.cpuPercent.get(c.Id) ?? null);
    state.stats.set(c.Id, sample);
  } catch { state.stats.delete(c.Id); }   // it stopped between the list and this call: the next poll shows it
}

async function loadKernel(c) {
  try { state.kernels.set(c.Id, await getJson(`/containers/${c.Id}/kernel`)); } catch { }
}

async function loadImage(id) {
  try { state.imageDetails.set(id, await getJson(`/images/${id}`)); } catch { }
}

let polling = null;
/** One poll; a poll asked for while one runs waits for it and runs once after. */
function poll() {
  if (polling) { polling.again = true; return polling.done; }
  polling = { again: false };
  polling.done = (async () => {
    do {
      polling.again = false;
      try { await pollOnce(); setStatus(`live · ${new Date().toLocaleTimeString()}`); }
      catch (e) { setStatus(`cannot read the daemon: ${e.message}`, true); }
    } while (polling.again);
    polling = null;
  })();
  return polling.done;
}

async function pollOnce() {
  const [containers, networks, images] = await Promise.all([getJson("/containers"), getJson("/networks"), getJson("/images")]);
  Object.assign(state, { containers, networks, images });
  const running = containers.filter(c => c.State === "running");
  const ids = new Set(running.map(c => c.Id));
  for (const map of [state.stats, state.cpuPercent, state.kernels]) for (const id of [...map.keys()]) if (!ids.has(id)) map.delete(id);
  await Promise.all([
    ...running.map(loadStats),
    ...running.filter(c => !state.kernels.has(c.Id)).map(loadKernel),
    ...images.filter(i => !state.imageDetails.has(i.Id)).map(i => loadImage(i.Id)),
  ]);
  render();
}

function render() {
  renderContainers($("containers"), state, select);
  renderGraph($("graph"), state);
  renderImages($("images"), state);
}

/** Clicking a container: its kernel view and explain log, read fresh. */
async function select(id) {
  state.selected = id;
  const c = state.containers.find(x => x.Id === id);
  const name = c ? containerName(c) : id;
  const close = () => { state.selected = null; $("details").hidden = true; };
  renderDetails($("details"), name, null, null, null, close);
  let kernel = null, kernelError = null, steps = null;
  try { kernel = await getJson(`/containers/${id}/kernel`); } catch (e) { kernelError = e.message; }
  try {
    const text = await (await api(`/containers/${id}/explain`)).text();
    steps = text.split("\n").filter(l => l.trim()).map(l => JSON.parse(l));
  } catch (e) { steps = []; }
  if (state.selected === id) renderDetails($("details"), name, kernel, kernelError, steps, close);
}

/** The daemon's events, as they happen: into the ticker, and a poll at once; reconnects when the stream ends. */
async function followEvents() {
  for (;;) {
    try {
      const response = await api("/events");
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) onEvent(JSON.parse(line));
        }
      }
    } catch (e) { setStatus(`event stream: ${e.message}`, true); }
    await new Promise(r => setTimeout(r, 1000));
  }
}

function onEvent(e) {
  state.events.unshift(e);
  state.events.length = Math.min(state.events.length, TICKER_LENGTH);
  renderTicker($("ticker"), state.events);
  // What an event may have changed in a container's kernel view (a restart, a network connect): read it again.
  const id = e.Type === "network" ? e.Actor?.Attributes?.container : e.Actor?.ID;
  if (id) state.kernels.delete(id);
  poll();
}

if (!token) setStatus("open the URL `minicontainer dashboard` printed: it carries the token", true);
else {
  poll();
  setInterval(poll, POLL_MS);
  followEvents();
}
document.addEventListener("keydown", e => { if (e.key === "Escape") $("details").hidden = true; });
