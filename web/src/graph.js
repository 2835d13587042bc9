// The network graph of observed traffic (GET /v1/graph/{cluster}) drawn with cytoscape, and the
// simulation drawn on it. Workloads sit inside their namespace; with "collapse namespaces" a
// namespace is one node. Large graphs (above LARGE nodes) get a grid layout and no edge labels,
// because force-directed layouts are quadratic and labels are unreadable at that size anyway.
import cytoscape from 'cytoscape';

const LARGE = 2000;
const DENSE = 1000; // edges: above this no edge labels, straight edges, no force-directed layout

const STYLE = [
  { selector: 'node', style: {
    label: 'data(label)', 'font-size': 10, 'text-valign': 'bottom', 'text-margin-y': 3,
    'background-color': '#5b8def', width: 22, height: 22, 'border-width': 0 } },
  { selector: 'node[type = "namespace"]', style: {
    shape: 'round-rectangle', 'background-color': '#eef2f8', 'border-color': '#9aa9c2',
    'border-width': 1, 'text-valign': 'top', 'font-weight': 'bold', color: '#44506a' } },
  { selector: 'node[type = "namespace"][?collapsed]', style: {
    'background-color': '#7d93c5', width: 34, height: 34, 'text-valign': 'bottom' } },
  { selector: 'node[type = "external"], node[type = "internal"]', style: {
    shape: 'diamond', 'background-color': '#9b6dd6' } },
  { selector: 'node[?hasIngressPolicy]', style: { 'border-width': 3, 'border-color': '#2d3e5f' } },
  { selector: 'node[?exposed]', style: { shape: 'star' } },
  { selector: 'edge', style: {
    width: 1.5, 'line-color': '#b7c0cf', 'target-arrow-color': '#b7c0cf',
    'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'arrow-scale': 0.8 } },
  { selector: 'edge[portsLabel]', style: { label: 'data(portsLabel)', 'font-size': 8, color: '#6b7385',
    'text-background-color': '#fff', 'text-background-opacity': 0.8 } },
  { selector: 'edge.blocked', style: {
    'line-color': '#d9342b', 'target-arrow-color': '#d9342b', 'line-style': 'dashed', width: 3 } },
  { selector: 'edge.allowed', style: { 'line-color': '#2e9d4f', 'target-arrow-color': '#2e9d4f', width: 3 } },
  { selector: 'node.policy-added', style: { 'border-width': 4, 'border-color': '#2e9d4f' } },
  { selector: 'node.policy-modified', style: { 'border-width': 4, 'border-color': '#e08a00' } },
  { selector: 'node.policy-deleted', style: { 'border-width': 4, 'border-color': '#d9342b' } },
  { selector: 'node.dimmed, edge.dimmed', style: { opacity: 0.15 } },
  { selector: ':selected', style: { 'overlay-opacity': 0.15 } },
];

function portsLabel(ports) {
  if (!ports || !ports.length) return '';
  const text = ports.map((p) => (p.port ? `${p.port}/${p.protocol}` : p.protocol)).join(', ');
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

export class GraphView {
  constructor(container) {
    this.container = container;
    this.cy = null;
    this.data = null;
    this.collapsed = false;
  }

  // Draws `data` ({nodes, edges} of /v1/graph) and returns the number of nodes drawn.
  render(data, collapsed) {
    this.data = data;
    this.collapsed = collapsed;
    const large = data.nodes.length > LARGE;
    const dense = large || data.edges.length > DENSE;
    const elements = [];
    const namespaces = new Set();
    for (const n of data.nodes) {
      if (n.type === 'workload' && n.namespace) namespaces.add(n.namespace);
    }
    for (const ns of namespaces) {
      elements.push({ group: 'nodes', data: { id: `ns:${ns}`, label: ns, type: 'namespace' } });
    }
    for (const n of data.nodes) {
      const d = {
        id: n.id, label: n.type === 'workload' ? n.name : n.id, type: n.type,
        namespace: n.namespace || (n.type === 'namespace' ? n.id : ''),
        hasIngressPolicy: !!n.hasIngressPolicy, exposed: !!n.exposed,
        collapsed: n.type === 'namespace',
      };
      if (n.type === 'workload' && !large) d.parent = `ns:${n.namespace}`;
      elements.push({ group: 'nodes', data: d });
    }
    data.edges.forEach((e, i) => {
      elements.push({ group: 'edges', data: {
        id: `e${i}`, source: e.source, target: e.target, count: e.count,
        portsLabel: dense ? undefined : portsLabel(e.ports) || undefined } });
    });
    if (this.cy) this.cy.destroy();
    this.cy = cytoscape({
      container: this.container,
      elements: large ? elements.filter((el) => el.data.type !== 'namespace' || el.data.collapsed) : elements,
      style: dense ? [...STYLE, { selector: 'edge', style: { 'curve-style': 'haystack', 'haystack-radius': 0, width: 1, opacity: 0.5 } }] : STYLE,
      // Cheaper redraws while panning and zooming a large graph.
      textureOnViewport: large,
      hideEdgesOnViewport: large,
      hideLabelsOnViewport: large,
      pixelRatio: large ? 1 : 'auto',
    });
    const layout = large ? { name: 'grid', avoidOverlap: false, animate: false }
      : dense ? { name: 'circle', animate: false, avoidOverlap: true }
      : { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true, randomize: false,
          idealEdgeLength: () => 80, nodeRepulsion: () => 8000, numIter: 600 };
    this.cy.layout(layout).run();
    this.cy.fit(undefined, 20);
    return this.cy.nodes().filter((n) => n.data('type') !== 'namespace' || n.data('collapsed')).length;
  }

  // Fades what does not match the workload text (name or ns/name substring).
  highlight(text) {
    if (!this.cy) return;
    const t = text.trim().toLowerCase();
    this.cy.batch(() => {
      this.cy.elements().removeClass('dimmed');
      if (!t) return;
      const hit = this.cy.nodes().filter((n) => n.data('type') !== 'namespace' &&
        (`${n.data('namespace')}/${n.data('label')}`.toLowerCase().includes(t)));
      const keep = hit.union(hit.connectedEdges()).union(hit.connectedEdges().connectedNodes()).union(hit.parents());
      this.cy.elements().not(keep).addClass('dimmed');
    });
  }

  // The graph node a simulation endpoint ("ns/name[Kind]", "internet", "internal") is drawn as.
  nodeIdOf(entity) {
    if (entity === 'internet') return 'External';
    if (entity === 'internal') return 'Internal';
    if (this.collapsed) return entity.split('/')[0];
    return entity;
  }

  clearSimulation() {
    if (!this.cy) return;
    this.cy.elements().removeClass('blocked allowed policy-added policy-modified policy-deleted');
  }

  // Marks edges the replay would block or newly allow, and the workloads whose policies the
  // simulation adds, modifies or deletes: the server lists the ones each policy selects
  // (`selectedWorkloads`, ids of this graph's nodes) with the real label selector semantics.
  showSimulation(simulation) {
    this.clearSimulation();
    if (!this.cy) return { blocked: 0, allowed: 0, marked: 0 };
    const counts = { blocked: 0, allowed: 0, marked: 0 };
    const edgesOf = (list, cls, key) => {
      for (const e of list || []) {
        const src = this.nodeIdOf(e.source);
        const dst = this.nodeIdOf(e.destination);
        const found = this.cy.edges().filter((x) => x.data('source') === src && x.data('target') === dst);
        found.addClass(cls);
        counts[key] += found.length;
      }
    };
    const replayEdges = (simulation.replay && simulation.replay.edges) || {};
    edgesOf(replayEdges.newlyBlocked, 'blocked', 'blocked');
    edgesOf(replayEdges.newlyAllowed, 'allowed', 'allowed');
    for (const p of simulation.policies || []) {
      if (!['added', 'modified', 'deleted'].includes(p.status)) continue;
      for (const id of p.selectedWorkloads || []) {
        const node = this.cy.getElementById(this.nodeIdOf(id));
        if (node.nonempty() && !node.hasClass(`policy-${p.status}`)) {
          node.addClass(`policy-${p.status}`);
          counts.marked++;
        }
      }
    }
    return counts;
  }
}

