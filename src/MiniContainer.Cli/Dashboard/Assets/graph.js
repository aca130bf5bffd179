// The network graph, drawn in SVG: one box ("lane") per network with its bridge on top and its containers below,
// each joined to the bridge by its veth pair; the host on top with the published ports, each a dashed line to the
// container it forwards to. A container on two networks appears in both lanes: the lanes are the isolation —
// nothing routes from one network's bridge to another's.
import { containerName, portText } from "./views.js";

const NS = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}
const text = (x, y, content, cls) => s("text", { x, y, class: cls || null }, content);

/** Network name → its bridge device, as last read from a running member's veth: kept, so that a network whose
 *  containers have all stopped still shows its bridge. */
const bridgeNames = new Map();

const LANE_W = 300, LANE_GAP = 24, NODE_H = 62, NODE_GAP = 22, TOP = 112, BRIDGE_H = 46;

/** The container's veth in this network, from its kernel view: the interface holding its address there. */
function vethFor(kernel, ip) {
  if (!kernel || !ip) return null;
  return kernel.Network.Interfaces.find(i => i.HostEnd && i.Addresses.some(a => a.split("/")[0] === ip)) || null;
}

export function renderGraph(root, state) {
  // Lanes: every bridge network, and any other network (host, none) only when a container uses it.
  const members = new Map();
  for (const c of state.containers)
    for (const [net, ep] of Object.entries((c.NetworkSettings && c.NetworkSettings.Networks) || {}))
      (members.get(net) || members.set(net, []).get(net)).push({ c, ep });
  const lanes = state.networks
    .filter(n => n.Driver === "bridge" || members.has(n.Name))
    .sort((a, b) => (a.Name === "bridge" ? -1 : b.Name === "bridge" ? 1 : a.Name.localeCompare(b.Name)));
  const rows = Math.max(1, ...lanes.map(n => (members.get(n.Name) || []).length));
  const width = Math.max(1, lanes.length) * (LANE_W + LANE_GAP) + LANE_GAP;
  const height = TOP + BRIDGE_H + 30 + rows * (NODE_H + NODE_GAP) + 20;
  // Drawn at its natural size (shrunk to fit a narrow window by the CSS), so two networks are not blown up to the page's width.
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": "network graph" });

  // The host, with the published ports along it.
  svg.append(s("g", { class: "host" }, s("rect", { x: LANE_GAP, y: 8, width: width - 2 * LANE_GAP, height: 36, rx: 6 }),
    text(LANE_GAP + 10, 31, "host: published ports are DNAT rules to a container's address")));
  const portLinks = [];

  lanes.forEach((net, i) => {
    const x = LANE_GAP + i * (LANE_W + LANE_GAP);
    const list = (members.get(net.Name) || []).sort((a, b) => containerName(a.c).localeCompare(containerName(b.c)));
    const seen = list.map(m => vethFor(state.kernels.get(m.c.Id), m.ep.IPAddress)?.HostEnd.Bridge).find(Boolean);
    if (seen) bridgeNames.set(net.Name, seen);
    const bridgeName = (net.Options && net.Options["com.docker.network.bridge.name"]) || bridgeNames.get(net.Name)
      || "(its name shows once a member runs)";
    const subnet = ((net.IPAM && net.IPAM.Config) || []).map(c => c.Subnet).filter(Boolean).join(" ");
    const lane = s("g", { class: "network", "data-network": net.Name },
      s("rect", { class: "lane", x, y: TOP - 34, width: LANE_W, height: height - TOP + 26, rx: 10 }),
      text(x + 10, TOP - 14, `network ${net.Name}`),
      s("g", { class: "bridge" }, s("rect", { x: x + 10, y: TOP, width: LANE_W - 20, height: BRIDGE_H, rx: 6 }),
        text(x + 20, TOP + 20, net.Driver === "bridge" ? `bridge ${bridgeName}` : `driver ${net.Driver}: no bridge`), text(x + 20, TOP + 38, subnet, "small")));
    list.forEach(({ c, ep }, row) => {
      const y = TOP + BRIDGE_H + 30 + row * (NODE_H + NODE_GAP);
      const veth = vethFor(state.kernels.get(c.Id), ep.IPAddress);
      const running = c.State === "running";
      const name = containerName(c);
      lane.append(s("g", { class: "edge", "data-network": net.Name, "data-container": name },
        s("line", { x1: x + LANE_W / 2, y1: TOP + BRIDGE_H, x2: x + LANE_W / 2, y2: y }),
        text(x + LANE_W / 2 + 6, y - 8, veth ? `${veth.HostEnd.Name} ⇄ ${veth.Name}` : "veth", "small")));
      lane.append(s("g", { class: "node" + (running ? "" : " stopped"), "data-container": name },
        s("rect", { x: x + 10, y, width: LANE_W - 20, height: NODE_H, rx: 6 }),
        text(x + 20, y + 22, `${name}${running ? "" : " (" + c.State + ")"}`),
        text(x + 20, y + 42, ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : "no address", "small"),
        text(x + 20, y + 56, ep.MacAddress || "", "small")));
      for (const p of (c.Ports || []).filter(p => p.PublicPort))
        portLinks.push({ p, name, x: x + LANE_W - 30, y });
    });
    svg.append(lane);
  });

  // Each published port: a dashed line from the host down to the container's node, with "host:8080→80/tcp" on it.
  portLinks.forEach(({ p, name, x, y }, k) => {
    const hx = x - 10 * (k % 4);
    svg.append(s("g", { class: "port", "data-container": name, "data-port": p.PublicPort },
      s("path", { d: `M ${hx} 44 L ${hx} ${y}` }), s("text", { x: hx - 6, y: 62 + 14 * (k % 2), class: "small", "text-anchor": "end" }, portText(p))));
  });
  if (lanes.length === 0) svg.append(text(LANE_GAP, TOP, "No networks."));
  root.replaceChildren(svg);
}
