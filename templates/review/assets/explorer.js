/* review.html's explorer: device search and card, BOM filters and total, rack tooltips and contents.

   Plain JavaScript, no framework, nothing fetched: it reads the JSON of #review-data, which
   refarch/render/review/explorer.py writes as columns (one array per field, repeated strings as indexes into
   `strings`), and the markup of templates/review/explorer/. Text from the data (device, part and BOM names come
   from user specs and catalogs) enters the page only as text nodes, never as markup. review.html.j2 inlines this
   file, so it may hold none of Jinja's delimiters nor the end tag of a script element. */
(() => {
  'use strict';

  const holder = document.getElementById('review-data');
  if (!holder) return;
  const data = JSON.parse(holder.textContent);
  const strings = data.strings;
  const racks = data.racks;
  const devices = data.devices;
  const cables = data.cables;
  const SUGGESTIONS = 12;

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    node.append(...children.filter((child) => child !== null && child !== undefined));
    return node;
  }

  function text(index) {
    return index < 0 ? '' : strings[index];
  }

  function thousands(whole) {
    return String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }

  /** US dollars, whole, as refarch.render.filters.money writes them: halves round to even, as Python's do. */
  function money(value) {
    const roundEven = (x) => {
      const r = Math.round(x);
      return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    return (roundEven(value) < 0 ? '-' : '') + '$' + thousands(roundEven(Math.abs(value)));
  }

  // ---- Devices: search, card ----------------------------------------------------------------------------

  const names = devices.name;
  const lowerNames = names.map((name) => name.toLowerCase());
  const byName = new Map(names.map((name, i) => [name, i]));
  const rackDevices = racks.name.map(() => []);
  devices.rack.forEach((rack, i) => rackDevices[rack].push(i));

  const search = document.getElementById('device-search');
  const suggestions = document.getElementById('device-suggestions');
  const card = document.getElementById('device-card');
  let matches = [];
  let active = -1;

  /** Up to SUGGESTIONS devices whose name holds `query`: names starting with it first, then the others. */
  function findDevices(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const starting = [];
    const containing = [];
    for (let i = 0; i < lowerNames.length && starting.length < SUGGESTIONS; i++) {
      const at = lowerNames[i].indexOf(q);
      if (at === 0) starting.push(i);
      else if (at > 0 && containing.length < SUGGESTIONS) containing.push(i);
    }
    return starting.concat(containing).slice(0, SUGGESTIONS);
  }

  function closeSuggestions() {
    suggestions.hidden = true;
    search.setAttribute('aria-expanded', 'false');
    search.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function markActive(k) {
    active = k;
    Array.from(suggestions.children).forEach((li, j) => li.setAttribute('aria-selected', String(j === k)));
    if (k >= 0) {
      const li = suggestions.children[k];
      search.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    }
  }

  function showSuggestions() {
    matches = findDevices(search.value);
    suggestions.replaceChildren(
      ...matches.map((i, k) =>
        el('li', { id: `device-option-${k}`, role: 'option', 'aria-selected': 'false', 'data-index': i },
          el('span', { class: 'name' }, names[i]),
          el('span', { class: 'role' }, `${text(devices.role[i])}, ${racks.name[devices.rack[i]]}`)),
      ),
    );
    if (!matches.length && search.value.trim()) {
      suggestions.append(el('li', { role: 'option', 'aria-disabled': 'true', class: 'none' }, 'no device matches'));
    }
    const open = suggestions.children.length > 0;
    suggestions.hidden = !open;
    search.setAttribute('aria-expanded', String(open));
    active = -1;
  }

  function choose(i) {
    search.value = names[i];
    closeSuggestions();
    showDevice(i, true);
  }

  search.addEventListener('input', showSuggestions);
  search.addEventListener('focus', () => search.value.trim() && showSuggestions());
  search.addEventListener('blur', closeSuggestions);
  search.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      if (suggestions.hidden) showSuggestions();
      if (!matches.length) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      markActive((active + step + matches.length) % matches.length);
      event.preventDefault();
    } else if (event.key === 'Enter') {
      const exact = byName.get(search.value.trim());
      const picked = active >= 0 ? matches[active] : exact !== undefined ? exact : matches[0];
      if (picked !== undefined) choose(picked);
      event.preventDefault();
    } else if (event.key === 'Escape') {
      closeSuggestions();
    }
  });
  // mousedown, not click: a click would come after the input's blur has closed the list.
  suggestions.addEventListener('mousedown', (event) => {
    const li = event.target.closest('li[data-index]');
    event.preventDefault();
    if (li) choose(Number(li.dataset.index));
  });

  function fact(label, field, ...value) {
    return el('div', {}, el('dt', {}, label), el('dd', { 'data-field': field }, ...value));
  }

  function deviceLink(i) {
    return el('button', { type: 'button', class: 'device-link', 'data-device': names[i] }, names[i]);
  }

  /** The card of device `i`: what and where it is, and every cabled port with what is at the other end. */
  function showDevice(i, focus) {
    const rack = devices.rack[i];
    const catalogId = text(devices.catalog_id[i]);
    const part = data.parts[catalogId];
    const u = devices.u[i];
    const height = devices.height_u[i];
    const rows = devices.cables[i].map((c) => {
      const near = cables.a[c] === i ? 'a' : 'b';
      const far = near === 'a' ? 'b' : 'a';
      return el('tr', {},
        el('td', { 'data-field': 'port' }, text(cables[`${near}_port`][c])),
        el('td', {}, text(cables.fabric[c]), cables.plane[c] > 1 ? ` (plane ${cables.plane[c]})` : ''),
        el('td', {}, text(cables.tier[c])),
        el('td', { 'data-field': 'peer' }, deviceLink(cables[far][c])),
        el('td', { 'data-field': 'peer-port' }, text(cables[`${far}_port`][c])),
        el('td', { 'data-field': 'cable' }, el('code', {}, cables.id[c])),
        el('td', { class: 'num' }, `${cables.speed_gbps[c]}G`),
        el('td', {}, text(cables.medium[c])),
        el('td', {}, text(cables[`${near}_transceiver`][c]) || 'none'));
    });
    const heading = el('h4', { tabindex: '-1', 'data-field': 'name' }, names[i]);
    const toRack = el('button', { type: 'button', 'data-action': 'show-in-rack' }, 'Show in rack map');
    toRack.addEventListener('click', () => showRack(rack, true));
    card.replaceChildren(
      heading,
      el('dl', { class: 'facts' },
        fact('role', 'role', text(devices.role[i])),
        fact('catalog id', 'catalog-id', el('code', {}, catalogId)),
        part ? fact('part', 'part', part[0]) : null,
        part ? fact('vendor', 'vendor', part[1]) : null,
        fact('rack', 'rack', racks.name[rack]),
        fact('row, position', 'row', `${racks.row[rack]}, ${racks.position[rack]}`),
        fact('U position', 'u', u === 0 ? 'zero-U' : String(u)),
        fact('height', 'height-u', `${height} U`)),
      el('div', { class: 'actions' }, toRack),
      el('h5', {}, `Cabled ports (${rows.length})`),
      rows.length
        ? el('div', { class: 'table-scroll' },
          el('table', { class: 'ports' },
            el('thead', {}, el('tr', {}, ...['port', 'fabric', 'tier', 'peer device', 'peer port', 'cable', 'speed',
              'medium', 'optic'].map((h) => el('th', { scope: 'col' }, h)))),
            el('tbody', {}, ...rows)))
        : el('p', { class: 'hint' }, 'No cabled ports.'),
    );
    card.dataset.device = names[i];
    card.hidden = false;
    if (focus) {
      card.scrollIntoView({ block: 'start' });
      heading.focus({ preventScroll: true });
    }
  }

  // Any device name drawn as a link (a card's peers, a tier's switches, a rack's contents) opens its card.
  document.addEventListener('click', (event) => {
    const link = event.target.closest('button[data-device]');
    if (!link) return;
    const i = byName.get(link.dataset.device);
    if (i !== undefined) showDevice(i, true);
  });

  // ---- BOM: filters and total -----------------------------------------------------------------------------

  const category = document.getElementById('bom-category');
  const filter = document.getElementById('bom-filter');
  const total = document.getElementById('bom-total');
  const shown = document.getElementById('bom-count');
  const lines = Array.from(document.querySelectorAll('#bom-lines tbody tr'));
  const lineTexts = lines.map((row) => row.textContent.toLowerCase());

  function filterBom() {
    const wanted = category.value;
    const query = filter.value.trim().toLowerCase();
    let sum = 0;
    let visible = 0;
    lines.forEach((row, k) => {
      const show = (!wanted || row.dataset.category === wanted) && (!query || lineTexts[k].includes(query));
      row.hidden = !show;
      if (show) {
        sum += Number(row.dataset.usd);
        visible += 1;
      }
    });
    total.textContent = money(sum);
    shown.textContent = `${thousands(visible)} of ${thousands(lines.length)} lines`;
  }

  category.addEventListener('change', filterBom);
  filter.addEventListener('input', filterBom);
  filterBom();

  // ---- Rack map: tooltip on hover and focus, contents on click or Enter -----------------------------------

  const map = document.getElementById('rack-map');
  const tooltip = document.getElementById('rack-tooltip');
  const contents = document.getElementById('rack-contents');
  const boxes = Array.from(map.querySelectorAll('.rack'));
  const boxOf = new Map(boxes.map((box) => [Number(box.dataset.rack), box]));
  const rowsOfBoxes = Array.from(map.querySelectorAll('.rack-row')).map((row) => Array.from(row.querySelectorAll('.rack')));
  let current = boxes[0];
  if (current) current.tabIndex = 0;

  function figure(label, field, value) {
    return el('div', {}, `${label}: `, el('span', { class: 'fig', 'data-field': field }, value));
  }

  function showTooltip(box) {
    const r = Number(box.dataset.rack);
    const pdus = racks.pdus[r];
    tooltip.replaceChildren(
      el('strong', { 'data-field': 'name' }, racks.name[r]),
      el('div', {}, `row ${racks.row[r]}, position ${racks.position[r]}`),
      el('div', {}, 'IT power: ', el('span', { class: 'fig', 'data-field': 'it-power' }, racks.it_power[r]),
        ' of ', el('span', { class: 'fig', 'data-field': 'power-limit' }, racks.power_limit[r])),
      figure('cooling', 'cooling', text(racks.cooling[r])),
      figure('air heat', 'air-heat', racks.air_heat[r]),
      figure('liquid heat', 'liquid-heat', racks.liquid_heat[r]),
      figure('used', 'used-u', `${racks.used_u[r]} of ${racks.height_u[r]} U`),
      figure('devices', 'devices', `${racks.devices[r]}` + (pdus ? ` and ${pdus} PDU${pdus > 1 ? 's' : ''}` : '')),
    );
    tooltip.hidden = false;
    box.setAttribute('aria-describedby', 'rack-tooltip');
    // Below the box, kept inside the page's width.
    const where = box.getBoundingClientRect();
    const width = tooltip.offsetWidth;
    const left = Math.max(4, Math.min(where.left, document.documentElement.clientWidth - width - 8));
    tooltip.style.left = `${left + window.scrollX}px`;
    tooltip.style.top = `${where.bottom + window.scrollY + 6}px`;
  }

  function hideTooltip(box) {
    tooltip.hidden = true;
    if (box) box.removeAttribute('aria-describedby');
  }

  function moveTo(box) {
    if (!box) return;
    current.tabIndex = -1;
    box.tabIndex = 0;
    current = box;
    box.focus();
  }

  /** The devices of rack `r`, top U first, zero-U PDUs last; each opens its card. */
  function listRack(r) {
    const items = rackDevices[r]
      .slice()
      .sort((x, y) => (devices.u[y] || -1) - (devices.u[x] || -1))
      .map((i) => {
        const u = devices.u[i];
        const span = devices.height_u[i] > 1 ? `U${u}-${u + devices.height_u[i] - 1}` : `U${u}`;
        return el('li', {}, el('span', { class: 'u' }, u === 0 ? 'zero-U' : span), deviceLink(i),
          el('span', { class: 'role' }, text(devices.role[i])));
      });
    contents.replaceChildren(
      el('h4', {}, `${racks.name[r]}: ${rackDevices[r].length} devices`),
      el('ul', { class: 'rack-devices' }, ...items),
    );
    contents.hidden = false;
  }

  /** Rack `r` highlighted on the map (the rack of a device card), focused when `focus`. */
  function showRack(r, focus) {
    boxes.forEach((box) => box.classList.remove('highlight'));
    const box = boxOf.get(r);
    if (!box) return;
    box.classList.add('highlight');
    listRack(r);
    box.scrollIntoView({ block: 'center' });
    if (focus) moveTo(box);
  }

  map.addEventListener('mouseover', (event) => {
    const box = event.target.closest('.rack');
    if (box) showTooltip(box);
  });
  map.addEventListener('mouseout', (event) => {
    const box = event.target.closest('.rack');
    if (box && !box.contains(event.relatedTarget) && document.activeElement !== box) hideTooltip(box);
  });
  map.addEventListener('focusin', (event) => {
    const box = event.target.closest('.rack');
    if (!box) return;
    if (box !== current) moveTo(box);
    showTooltip(box);
  });
  map.addEventListener('focusout', (event) => {
    const box = event.target.closest('.rack');
    if (box) hideTooltip(box);
  });
  map.addEventListener('click', (event) => {
    const box = event.target.closest('.rack');
    if (box) {
      moveTo(box);
      listRack(Number(box.dataset.rack));
    }
  });
  // Arrows move along a row (left, right) and between rows (up, down); Home and End go to the first and last rack.
  map.addEventListener('keydown', (event) => {
    const box = event.target.closest('.rack');
    if (!box) return;
    const k = boxes.indexOf(box);
    const row = rowsOfBoxes.findIndex((list) => list.includes(box));
    const inRow = rowsOfBoxes[row].indexOf(box);
    const nearIn = (other) => other && other[Math.min(inRow, other.length - 1)];
    const target = {
      ArrowRight: boxes[k + 1],
      ArrowLeft: boxes[k - 1],
      ArrowDown: nearIn(rowsOfBoxes[row + 1]),
      ArrowUp: nearIn(rowsOfBoxes[row - 1]),
      Home: boxes[0],
      End: boxes[boxes.length - 1],
    }[event.key];
    if (target) {
      moveTo(target);
      event.preventDefault();
    } else if (event.key === 'Enter' || event.key === ' ') {
      listRack(Number(box.dataset.rack));
      event.preventDefault();
    } else if (event.key === 'Escape') {
      hideTooltip(box);
    }
  });
})();
