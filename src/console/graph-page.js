/**
 * `#/graph/<identifier>`: the lineage around a table (GET /v3/lineage, one step up and down), its dynamic tables
 * coloured by freshness state. Clicking a node selects it and adds its own neighbours, one step at a time. The graph
 * is drawn by cytoscape with the dagre layout (window.cytoscape, loaded by index.html); the list beside it names the
 * same nodes for keyboards and screen readers.
 */
import { get } from './api.js';
import { h, replace } from './dom.js';
import { causeText, chip, duration, STATE_COLOURS, shortName, tableHref } from './format.js';

const STYLE = [
  {
    selector: 'node',
    style: {
      shape: 'round-rectangle',
      width: 150,
      height: 40,
      'background-color': 'data(colour)',
      label: 'data(label)',
      color: '#fff',
      'font-size': 11,
      'text-valign': 'center',
      'text-halign': 'center',
      'text-wrap': 'wrap',
      'text-max-width': 140,
      'border-width': 0,
      'border-color': '#1f2328',
    },
  },
  {
    selector: 'node[kind = "source"]',
    style: {
      shape: 'barrel',
      'background-color': '#f6f8fa',
      color: '#1f2328',
      'border-width': 1,
      'border-color': '#8c959f',
    },
  },
  { selector: 'node[?unexplored]', style: { 'border-width': 2, 'border-style': 'dashed', 'border-color': '#57606a' } },
  { selector: 'node[?root]', style: { 'border-width': 3, 'border-style': 'solid', 'border-color': '#1f2328' } },
  { selector: 'node:selected', style: { 'overlay-color': '#0969da', 'overlay-opacity': 0.25, 'overlay-padding': 4 } },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'line-color': '#8c959f',
      'target-arrow-color': '#8c959f',
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
    },
  },
];

/** The lineage graph as cytoscape elements, merged into what is already shown. */
class Lineage {
  constructor(states) {
    this.states = states;
    this.nodes = new Map();
    this.edges = new Map();
    this.explored = new Set();
  }

  /** Adds what one GET /v3/lineage answered around `centre`; answers whether anything was new. */
  merge(centre, lineage) {
    const before = this.nodes.size + this.edges.size;
    this.explored.add(centre);
    for (const node of lineage.nodes) if (!this.nodes.has(node.id)) this.nodes.set(node.id, node);
    for (const edge of lineage.edges) this.edges.set(`${edge.from}->${edge.to}`, edge);
    return this.nodes.size + this.edges.size > before;
  }

  stateOf(id) {
    return this.states.get(id) ?? null;
  }

  elements(root) {
    const nodes = [...this.nodes.values()].map((node) => {
      const fresh = node.kind === 'dynamic' ? this.stateOf(node.id) : null;
      const state = node.kind === 'dynamic' ? (fresh?.state ?? 'UNKNOWN') : null;
      return {
        group: 'nodes',
        data: {
          id: node.id,
          kind: node.kind,
          label: state ? `${shortName(node.id)}\n${state}` : shortName(node.id),
          colour: state ? STATE_COLOURS[state] : '#f6f8fa',
          state: state ?? '',
          root: node.id === root,
          unexplored: !this.explored.has(node.id),
        },
      };
    });
    const edges = [...this.edges.entries()].map(([id, e]) => ({
      group: 'edges',
      data: { id, source: e.from, target: e.to },
    }));
    return [...nodes, ...edges];
  }
}

function detailPanel(lineage, id) {
  const node = lineage.nodes.get(id);
  if (!node) return h('p', { class: 'muted' }, 'Click a table to see it here and show its neighbours.');
  const fresh = lineage.stateOf(id);
  const cause = causeText(fresh?.cause);
  return [
    h(
      'h2',
      {},
      shortName(id),
      ' ',
      node.kind === 'dynamic' ? chip(fresh?.state) : h('span', { class: 'muted small' }, 'source'),
    ),
    h('p', { class: 'muted small' }, id),
    cause ? h('p', { class: `cause cause-${fresh.state}` }, cause) : null,
    node.kind === 'dynamic'
      ? h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Status'),
          h('dd', {}, node.status ?? '—'),
          h('dt', {}, 'Lag / target'),
          h('dd', {}, `${duration(fresh?.lagSeconds ?? node.lagSeconds)} / ${duration(fresh?.targetLagSeconds)}`),
          h('dt', {}, 'Freshness'),
          h('dd', {}, node.freshness ?? '—'),
        )
      : null,
    node.kind === 'dynamic' ? h('a', { class: 'button', href: tableHref(id) }, 'Open table') : null,
  ];
}

function nodeList(lineage, onPick) {
  return [...lineage.nodes.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((node) =>
      h(
        'li',
        { dataset: { node: node.id, state: lineage.stateOf(node.id)?.state ?? '' } },
        h(
          'button',
          { type: 'button', class: 'link-button', on: { click: () => onPick(node.id) } },
          node.kind === 'dynamic'
            ? chip(lineage.stateOf(node.id)?.state)
            : h('span', { class: 'chip chip-source' }, 'SOURCE'),
          ` ${node.id}`,
        ),
      ),
    );
}

function tablePicker(tables, root, ctx) {
  return h(
    'label',
    { class: 'field' },
    'Around ',
    h(
      'select',
      { name: 'table', on: { change: (event) => ctx.navigate(`#/graph/${encodeURIComponent(event.target.value)}`) } },
      tables.map((t) => h('option', { value: t, selected: t === root }, t)),
    ),
  );
}

/** Adds the elements cytoscape does not have yet and updates the data of those it has (nodes come first). */
function sync(cy, elements) {
  cy.batch(() => {
    for (const element of elements) {
      const existing = cy.getElementById(element.data.id);
      if (existing.nonempty()) existing.data(element.data);
      else cy.add(element);
    }
  });
}

/** Draws the graph once the page is in the document (cytoscape measures its container). */
function draw(canvas, lineage, root, panel, list) {
  const cy = window.cytoscape({
    container: canvas,
    elements: lineage.elements(root),
    style: STYLE,
    wheelSensitivity: 0.3,
  });
  // Scripts (and the browser tests) reach the graph through its container.
  canvas.cy = cy;
  const layout = () => {
    // Left to right on a wide screen; top to bottom on a narrow one, where a long row of nodes would shrink to dots.
    const rankDir = canvas.clientWidth < 560 ? 'TB' : 'LR';
    cy.layout({ name: 'dagre', rankDir, nodeSep: 24, rankSep: 60, animate: false, fit: true, padding: 24 }).run();
    canvas.dataset.nodes = String(cy.nodes().length);
  };
  const show = (id) => {
    replace(panel, detailPanel(lineage, id));
    replace(list, nodeList(lineage, pick));
  };
  async function pick(id) {
    cy.$(':selected').unselect();
    cy.getElementById(id).select();
    show(id);
    if (lineage.explored.has(id)) return;
    canvas.dataset.busy = 'true';
    try {
      const grew = lineage.merge(id, await get('v3/lineage', { table: id, depth: 1 }));
      sync(cy, lineage.elements(root));
      if (grew) layout();
      show(id);
    } finally {
      delete canvas.dataset.busy;
    }
  }
  cy.on('tap', 'node', (event) => pick(event.target.id()));
  layout();
  show(root);
  return cy;
}

export async function graphPage(ctx) {
  const freshness = await get('v3/freshness');
  const tables = freshness.tables.map((t) => t.table).sort();
  const root = ctx.params[0] ?? freshness.tables[0]?.table;
  if (root === undefined)
    return h(
      'section',
      { class: 'page' },
      h('h1', {}, 'Lineage'),
      h('p', { class: 'muted' }, 'No dynamic tables yet.'),
    );
  const lineage = new Lineage(new Map(freshness.tables.map((t) => [t.table, t])));
  lineage.merge(root, await get('v3/lineage', { table: root, depth: 1 }));
  const canvas = h('div', {
    class: 'graph-canvas',
    id: 'graph-canvas',
    role: 'img',
    'aria-label': `Lineage around ${root}`,
  });
  const panel = h('div', { class: 'graph-detail', id: 'graph-detail' });
  const list = h('ul', { class: 'graph-nodes', id: 'graph-nodes' });
  let cy = null;
  ctx.afterMount(() => {
    if (typeof window.cytoscape !== 'function') {
      replace(
        canvas,
        h('p', { class: 'error-text' }, 'The graph library did not load; the list shows the same tables.'),
      );
      replace(
        list,
        nodeList(lineage, () => undefined),
      );
      return;
    }
    cy = draw(canvas, lineage, root, panel, list);
  });
  ctx.onLeave(() => cy?.destroy());
  const fit = h('button', { type: 'button', class: 'button', on: { click: () => cy?.fit(undefined, 24) } }, 'Fit');
  return h(
    'section',
    { class: 'page graph-page', dataset: { root } },
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, 'Lineage'),
      h('div', { class: 'toolbar' }, tablePicker(tables, root, ctx), fit),
    ),
    h(
      'p',
      { class: 'legend small' },
      ['FRESH', 'WARN', 'STALE', 'UNKNOWN', 'PAUSED'].map((s) => [chip(s), ' ']),
      h('span', { class: 'chip chip-source' }, 'SOURCE'),
      ' Dashed: neighbours not shown yet; click to add them.',
    ),
    h('div', { class: 'graph-layout' }, canvas, h('aside', { class: 'graph-side' }, panel, h('h3', {}, 'Shown'), list)),
  );
}
