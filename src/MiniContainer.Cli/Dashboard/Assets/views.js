// The dashboard's HTML views. Every value from the daemon becomes a text node (el() below): nothing is ever parsed as
// markup, so a container labelled "<script>…" shows exactly those characters.

/** Makes an element: attributes from an object, children from strings (as text) or nodes; null children are skipped. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  return node;
}

/** 33554432 → "32 MiB"; 1536 → "1.5 KiB". */
export function bytes(n) {
  if (n === null || n === undefined || isNaN(n)) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (Number.isInteger(n) ? n : n.toFixed(1)) + " " + units[i];
}

export const short = id => (id || "").replace(/^sha256:/, "").slice(0, 12);
export const containerName = c => (c.Names && c.Names[0] ? c.Names[0].replace(/^\//, "") : short(c.Id));

/** The value of a cgroup file in a kernel view ("memory.max" or its v1 name), or null. */
export function cgroupValue(kernel, ...files) {
  const f = kernel && kernel.Cgroup.Files.find(x => files.includes(x.File));
  return f ? f.Value : null;
}

function gauge(label, text, fraction, cls) {
  const pct = Math.max(0, Math.min(1, fraction || 0)) * 100;
  return el("div", { class: "gauge " + cls },
    el("div", { class: "label" }, el("span", {}, label), el("span", { class: "value" }, text)),
    el("div", { class: "bar" }, el("div", { class: pct > 85 ? "high" : "", "data-pct": pct.toFixed(0) })));
}

/** The gauges of a running container: memory (usage / the cgroup's limit), CPU (% of the host's CPUs), pids. */
function gauges(c, stats, cpuPercent, kernel) {
  if (!stats) return el("div", { class: "status-line" }, "reading its cgroup…");
  const mem = stats.memory_stats || {};
  const limitFile = cgroupValue(kernel, "memory.max", "memory.limit_in_bytes");
  const unlimited = limitFile === "max" || (limitFile !== null && Number(limitFile) > 2 ** 60);
  const limit = limitFile !== null && !unlimited ? Number(limitFile) : mem.limit;
  const memText = el("span", {}, bytes(mem.usage), " / ",
    el("span", { class: "mem-limit" }, unlimited ? "no limit" : bytes(limit)));
  const pids = stats.pids_stats || {};
  const pidsMax = cgroupValue(kernel, "pids.max");
  const cpus = (stats.cpu_stats && stats.cpu_stats.online_cpus) || 1;
  return el("div", {},
    gauge("memory", memText, unlimited ? 0 : mem.usage / limit, "memory"),
    gauge("cpu", cpuPercent === null ? "…" : cpuPercent.toFixed(1) + " %", (cpuPercent || 0) / (100 * cpus), "cpu"),
    gauge("pids", `${pids.current ?? "?"} / ${pidsMax && pidsMax !== "max" ? pidsMax : "no limit"}`,
      pidsMax && pidsMax !== "max" ? pids.current / Number(pidsMax) : 0, "pids"));
}

/** The container's namespaces as chips: type and inode; amber when shared with the host. */
function namespaces(kernel) {
  if (!kernel) return null;
  return el("div", { class: "chips namespaces" },
    kernel.Namespaces.map(n => el("span", { class: "chip" + (n.SharedWithHost ? " shared" : ""), title: n.SharedWithHost ? "shared with the host" : "its own" },
      `${n.Type}:${n.Inode}`)));
}

export function portText(p) {
  return p.PublicPort ? `${p.IP && p.IP !== "0.0.0.0" ? p.IP : ""}:${p.PublicPort}→${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`;
}

/** One card per container, running first, then by name. */
export function renderContainers(root, state, onSelect) {
  const list = [...state.containers].sort((a, b) =>
    (a.State === "running" ? 0 : 1) - (b.State === "running" ? 0 : 1) || containerName(a).localeCompare(containerName(b)));
  if (list.length === 0) { root.replaceChildren(el("p", { class: "empty" }, "No containers. Try: minicontainer run -d -m 32m busybox sleep 1000")); return; }
  root.replaceChildren(...list.map(c => {
    const running = c.State === "running";
    const kernel = state.kernels.get(c.Id);
    const labels = Object.entries(c.Labels || {});
    const card = el("article", { class: "card", tabindex: 0, "data-container": containerName(c), "data-state": c.State },
      el("header", {}, el("span", { class: "name" }, containerName(c)), el("span", { class: "badge " + c.State }, c.State)),
      el("div", { class: "sub" }, c.Image, " · ", short(c.Id)),
      el("div", { class: "cmd mono" }, c.Command),
      running ? gauges(c, state.stats.get(c.Id), state.cpuPercent.get(c.Id) ?? null, kernel) : null,
      running ? namespaces(kernel) : null,
      (c.Ports || []).length ? el("div", { class: "chips ports" }, c.Ports.map(p => el("span", { class: "chip" }, portText(p)))) : null,
      labels.length ? el("div", { class: "chips labels" }, labels.map(([k, v]) => el("span", { class: "chip label" }, `${k}=${v}`))) : null,
      el("div", { class: "status-line" }, c.Status));
    card.addEventListener("click", () => onSelect(c.Id));
    card.addEventListener("keydown", e => { if (e.key === "Enter") onSelect(c.Id); });
    return card;
  }));
  // Bar widths are set here rather than in a style attribute: the page's CSP allows no inline styles.
  for (const bar of root.querySelectorAll(".bar > div")) bar.style.width = bar.dataset.pct + "%";
}

const tail = p => { const parts = (p || "").split("/").filter(Boolean); return "…/" + parts.slice(-2).join("/"); };

/** Each image as its layer stack, top first: the upper dirs of the containers stacked on it, then its layers. */
export function renderImages(root, state) {
  if (state.images.length === 0) { root.replaceChildren(el("p", { class: "empty" }, "No images.")); return; }
  root.replaceChildren(...state.images.map(image => {
    const detail = state.imageDetails.get(image.Id);
    const lowers = detail && detail.GraphDriver && detail.GraphDriver.Data.LowerDir ? detail.GraphDriver.Data.LowerDir.split(":") : [];
    const diffIds = detail && detail.RootFS ? [...detail.RootFS.Layers].reverse() : [];   // top first, as lowerdir lists them
    const users = state.containers.filter(c => c.ImageID === image.Id);
    const tags = (image.RepoTags || []).filter(t => t !== "<none>:<none>");
    return el("div", { class: "image", "data-image": image.Id },
      el("div", { class: "tags" }, tags.length ? tags.join(", ") : short(image.Id), " ", el("small", {}, bytes(image.Size))),
      el("ul", { class: "stack" },
        users.map(c => {
          const rootfs = state.kernels.get(c.Id)?.Rootfs;
          return el("li", { class: "upper", title: rootfs ? rootfs.UpperDir.Path : "" },
            el("b", {}, containerName(c)), rootfs
              ? [" upper ", el("span", { class: "path" }, tail(rootfs.UpperDir.Path)), ` (${bytes(rootfs.UpperDir.Bytes)}) · work `,
                 el("span", { class: "path" }, tail(rootfs.WorkDir.Path))]
              : ` (${c.State}: its upper dir waits on disk)`);
        }),
        diffIds.map((d, i) => el("li", { class: "layer", title: lowers[i] || "" },
          `layer ${diffIds.length - i}: ${short(d)} `, el("span", { class: "path" }, tail(lowers[i]))))));
  }));
}

/** The event ticker: newest first. */
export function renderTicker(root, events) {
  root.replaceChildren(...events.map(e => {
    const a = e.Actor || {};
    const name = (a.Attributes && a.Attributes.name) || short(a.ID);
    const time = new Date((e.timeNano ? e.timeNano / 1e6 : e.time * 1000)).toLocaleTimeString();
    return el("li", {}, el("span", { class: "time" }, time), `${e.Type} ${e.Action} `, el("b", {}, name));
  }));
}

function table(headers, rows) {
  return el("table", {}, el("tr", {}, headers.map(h => el("th", {}, h))), rows.map(r => el("tr", {}, r.map(v => el("td", {}, v ?? "")))));
}

/** The side panel: `inspect --kernel` and the explain log of one container. */
export function renderDetails(root, name, kernel, kernelError, steps, onClose) {
  const close = el("button", { class: "close" }, "close ✕");
  close.addEventListener("click", onClose);
  const parts = [close, el("h2", {}, name)];
  parts.push(el("h3", {}, "inspect --kernel"));
  if (!kernel) parts.push(el("p", { class: "empty" }, kernelError || "loading…"));
  else {
    parts.push(el("p", {}, `PID ${kernel.Pid} on the host, ${kernel.PidInContainer} inside; host namespaces from ${kernel.NamespacesHostSource}`));
    parts.push(table(["namespace", "inode", "host inode", ""], kernel.Namespaces.map(n => [n.Type, n.Inode, n.HostInode, n.SharedWithHost ? "shared with host" : "own"])));
    parts.push(el("h3", {}, `cgroup ${kernel.Cgroup.Version}`));
    parts.push(table(["hierarchy", "path"], kernel.Cgroup.Hierarchies.map(h => [h.Controllers || "(unified)", h.Path])));
    parts.push(table(["file", "value", "role", "meaning"], kernel.Cgroup.Files.map(f => [f.File, f.Value, f.Role, f.Meaning])));
    parts.push(el("h3", {}, "network"));
    parts.push(table(["interface", "index", "addresses", "host end", "bridge"], kernel.Network.Interfaces.map(i =>
      [i.Name, i.Index, i.Addresses.join(" "), i.HostEnd ? `${i.HostEnd.Name} (${i.HostEnd.Index})` : "", i.HostEnd?.Bridge])));
    parts.push(table(["route", "via", "dev"], kernel.Network.Routes.map(r => [r.Destination, r.Gateway, r.Device])));
    if (kernel.Rootfs) {
      const r = kernel.Rootfs;
      parts.push(el("h3", {}, `root filesystem (${r.FsType})`));
      parts.push(table(["dir", "path", "size"], [
        ...r.LowerDirs.map((d, i) => [`lower ${i + 1}`, d.Path, bytes(d.Bytes)]),
        ["upper", r.UpperDir.Path, bytes(r.UpperDir.Bytes)], ["work", r.WorkDir.Path, bytes(r.WorkDir.Bytes)],
        ...(r.MergedDir ? [["merged", r.MergedDir.Path, ""]] : [])]));
    }
    parts.push(el("h3", {}, "mounts"));
    parts.push(table(["mount point", "type", "source", "options"], kernel.Mounts.map(m => [m.MountPoint, m.FsType, m.Source, m.Options.join(",")])));
    const s = kernel.Security;
    parts.push(el("h3", {}, "security"));
    parts.push(table(["", ""], [["seccomp", `${s.Seccomp} (${s.SeccompFilters} filters)`], ["no_new_privs", String(s.NoNewPrivs)],
      ["effective capabilities", s.CapEffective.join(" ")], ["uid map", s.UidMap.map(m => `${m.Inside}→${m.Outside} ×${m.Count}`).join(", ")]]));
  }
  parts.push(el("h3", {}, "explain log"));
  if (!steps) parts.push(el("p", { class: "empty" }, "loading…"));
  else if (steps.length === 0) parts.push(el("p", { class: "empty" }, "Nothing recorded: create it with --explain, or run the daemon with --explain-all."));
  else {
    let phase = null;
    for (const st of steps) {
      if (st.Phase !== phase) { phase = st.Phase; parts.push(el("h4", {}, `${phase} (${st.Action})`)); }
      parts.push(el("div", { class: "step" }, el("div", { class: "sentence" }, st.Sentence, ` — ${st.DurationUs} µs, ${st.Process}`),
        el("code", {}, "$ " + st.Shell), el("code", {}, st.Syscall)));
    }
  }
  root.replaceChildren(...parts);
  root.hidden = false;
}
