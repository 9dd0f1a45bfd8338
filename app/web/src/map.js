// The map: a plain background, the batch's before/after imagery tiles from
// weipian (/tiles/…) shown with a swipe (卷帘) or side by side (并排), the
// 图斑 outlines coloured by judgement (初判) and filled by change type
// (变化类型), the zone layers (耕地, 永久基本农田, 巡查区, 行政区) that can be
// toggled, and field photo points with their direction. Nothing is loaded
// from outside weipian.
import 'ol/ol.css';
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import { Style, Stroke, Fill, Text, Circle as CircleStyle, RegularShape } from 'ol/style.js';
import { fromLonLat, transformExtent } from 'ol/proj.js';
import { getRenderPixel } from 'ol/render.js';
import { defaults as defaultControls, ScaleLine } from 'ol/control.js';
import { createEmpty, extend, isEmpty, buffer, getWidth, getHeight, getCenter } from 'ol/extent.js';
import { h } from './ui.js';
import { get } from './api.js';

export const judgementColors = { suspected: '#d32f2f', approved: '#1565c0', not_of_interest: '#616161' };
export const tblxColors = {
  building: '#ff7043', greenhouse: '#ab47bc', road: '#8d6e63', earthwork: '#ffb300', pond: '#29b6f6', revegetation: '#66bb6a', other: '#bdbdbd',
};

function hexAlpha(hex, a) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

const halo = new Stroke({ color: 'rgba(255,255,255,0.85)', width: 4.5 });
const styleCache = {};
function tubanStyle(f, resolution) {
  const j = f.get('judgement') || 'suspected';
  const t = f.get('tblx') || 'other';
  const focus = !!f.get('focus');
  const key = `${j}|${t}|${focus}`;
  if (!styleCache[key]) {
    const color = focus ? '#ffeb3b' : judgementColors[j] || '#d32f2f';
    styleCache[key] = [
      new Style({ stroke: focus ? new Stroke({ color: '#000', width: 6 }) : halo }),
      new Style({ stroke: new Stroke({ color, width: focus ? 3.5 : 2.2 }), fill: new Fill({ color: hexAlpha(tblxColors[t] || '#bdbdbd', 0.3) }) }),
    ];
  }
  let styles = styleCache[key];
  // A 图斑 a few pixels wide gets a marker at its centre, so that it can
  // be seen and clicked when zoomed out.
  const g = f.getGeometry();
  if (g && !focus) {
    const e = g.getExtent();
    if (Math.max(e[2] - e[0], e[3] - e[1]) / resolution < 8) {
      styles = [...styles, new Style({
        geometry: new Point(getCenter(e)),
        image: new CircleStyle({ radius: 6, fill: new Fill({ color: judgementColors[j] || '#d32f2f' }), stroke: new Stroke({ color: '#fff', width: 2 }) }),
      })];
    }
  }
  if (resolution < 4 && f.get('jcbh')) {
    return [...styles, new Style({
      text: new Text({ text: f.get('jcbh'), font: '12px sans-serif', overflow: true, fill: new Fill({ color: '#000' }), stroke: new Stroke({ color: '#fff', width: 3 }) }),
    })];
  }
  return styles;
}

const zoneStyles = {
  cultivated: new Style({ fill: new Fill({ color: 'rgba(205,220,57,0.18)' }), stroke: new Stroke({ color: 'rgba(130,150,0,0.7)', width: 1 }) }),
  basic_farmland: new Style({ fill: new Fill({ color: 'rgba(46,125,50,0.22)' }), stroke: new Stroke({ color: '#2e7d32', width: 1.2 }) }),
  approval: new Style({ fill: new Fill({ color: 'rgba(21,101,192,0.10)' }), stroke: new Stroke({ color: '#1565c0', width: 1.2, lineDash: [6, 4] }) }),
  admin: new Style({ stroke: new Stroke({ color: '#555', width: 1, lineDash: [2, 4] }) }),
};
function zoneStyle(kind) {
  if (kind !== 'patrol') return zoneStyles[kind] || zoneStyles.admin;
  return (f) => new Style({
    stroke: new Stroke({ color: '#6a1b9a', width: 2, lineDash: [8, 5] }),
    text: new Text({ text: f.get('name') || '', font: 'bold 13px sans-serif', fill: new Fill({ color: '#4a148c' }), stroke: new Stroke({ color: '#fff', width: 3 }) }),
  });
}

export const zoneLayerDefs = [
  { code: 'patrol', label: '巡查区', on: true },
  { code: 'basic_farmland', label: '永久基本农田', on: false },
  { code: 'cultivated', label: '耕地', on: false },
  { code: 'approval', label: '批准用地', on: false },
  { code: 'admin', label: '行政区', on: true },
];

function photoStyle(f) {
  const ok = f.get('ok');
  const styles = [new Style({ image: new CircleStyle({ radius: 6, fill: new Fill({ color: ok ? '#2e7d32' : '#ef6c00' }), stroke: new Stroke({ color: '#fff', width: 2 }) }) })];
  if (f.get('has_direction')) {
    styles.push(new Style({
      image: new RegularShape({ points: 3, radius: 7, displacement: [0, 13], rotation: (f.get('direction') * Math.PI) / 180, rotateWithView: true, fill: new Fill({ color: ok ? '#2e7d32' : '#ef6c00' }), stroke: new Stroke({ color: '#fff', width: 1.5 }) }),
    }));
  }
  return styles;
}

const geojson = new GeoJSON({ dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857' });

// readFeatures turns a GeoJSON object into OpenLayers features.
export function readFeatures(fc) {
  return geojson.readFeatures(fc);
}

// createMap builds the map in container. opts:
//   batch      batch ID whose imagery to show (optional)
//   tubans     GeoJSON FeatureCollection of 图斑 (optional)
//   focus      GeoJSON geometry to highlight and zoom to (optional)
//   photos     [{lon, lat, ok, direction_deg, has_direction, name}] (optional)
//   onFeature  called with the properties of a clicked 图斑
//   compact    smaller controls (phones)
// It returns {el, setTubans, destroy}.
export function createMap(opts = {}) {
  const el = h('div.mapbox', { dataset: { mode: 'swipe', swipe: '0.50' } });
  const mapEl = h('div.map.map-main');
  const sideEl = h('div.map.map-side');
  const stage = h('div.map-stage', mapEl, sideEl);
  const status = h('div.map-status');
  el.append(stage);

  const view = new View({ center: fromLonLat([114.3, 30.5]), zoom: 4, maxZoom: 22, constrainResolution: false });
  const tubanSource = new VectorSource();
  const photoSource = new VectorSource();
  const focusSource = new VectorSource();
  const zoneSources = {};
  const zoneLayers = [];
  for (const z of zoneLayerDefs) {
    zoneSources[z.code] = new VectorSource();
  }
  const mkVectors = () => {
    const zl = zoneLayerDefs.map((z) => new VectorLayer({ source: zoneSources[z.code], style: zoneStyle(z.code), visible: z.on, properties: { zone: z.code } }));
    const tl = new VectorLayer({ source: tubanSource, style: tubanStyle, properties: { tubans: true } });
    const fl = new VectorLayer({ source: focusSource, style: tubanStyle });
    const pl = new VectorLayer({ source: photoSource, style: photoStyle });
    return { zl, list: [...zl, tl, fl, pl] };
  };
  const mainVec = mkVectors();
  zoneLayers.push(...mainVec.zl);
  const before = new TileLayer({ visible: false, properties: { date: 'before' } });
  const after = new TileLayer({ visible: false, properties: { date: 'after' } });
  const map = new Map({
    target: mapEl,
    view,
    layers: [before, after, ...mainVec.list],
    controls: defaultControls({ attribution: false, rotate: false }).extend([new ScaleLine({ units: 'metric' })]),
  });
  let side = null; // the second map of the side-by-side view
  let sideAfter = null;
  const sideZoneLayers = [];

  // The swipe: the after image is drawn right of the bar.
  let swipe = 0.5;
  const bar = h('div.swipe-bar', { role: 'slider', tabindex: 0, 'aria-label': '卷帘位置', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 50 },
    h('div.swipe-handle', '◀▶'));
  const labels = h('div.swipe-labels', h('span.lbl-before', '前时相'), h('span.lbl-after', '后时相'));
  stage.append(bar, labels, status);
  after.on('prerender', (e) => {
    if (el.dataset.mode !== 'swipe') return;
    const ctx = e.context;
    const size = map.getSize();
    const x = size[0] * swipe;
    const tl = getRenderPixel(e, [x, 0]);
    const tr = getRenderPixel(e, [size[0], 0]);
    const bl = getRenderPixel(e, [x, size[1]]);
    const br = getRenderPixel(e, size);
    ctx.save();
    ctx.beginPath();
    ctx.moveTo(tl[0], tl[1]);
    ctx.lineTo(bl[0], bl[1]);
    ctx.lineTo(br[0], br[1]);
    ctx.lineTo(tr[0], tr[1]);
    ctx.closePath();
    ctx.clip();
  });
  after.on('postrender', (e) => {
    if (el.dataset.mode === 'swipe') e.context.restore();
  });
  const setSwipe = (f) => {
    swipe = Math.min(1, Math.max(0, f));
    bar.style.left = `${swipe * 100}%`;
    bar.setAttribute('aria-valuenow', Math.round(swipe * 100));
    el.dataset.swipe = swipe.toFixed(2);
    map.render();
  };
  setSwipe(0.5);
  let dragging = false;
  bar.addEventListener('pointerdown', (e) => {
    dragging = true;
    bar.setPointerCapture(e.pointerId);
    e.preventDefault();
  });
  bar.addEventListener('pointermove', (e) => {
    if (!dragging) return;
    const r = stage.getBoundingClientRect();
    setSwipe((e.clientX - r.left) / r.width);
  });
  const stop = () => {
    dragging = false;
  };
  bar.addEventListener('pointerup', stop);
  bar.addEventListener('pointercancel', stop);
  bar.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') setSwipe(swipe - 0.05);
    if (e.key === 'ArrowRight') setSwipe(swipe + 0.05);
  });

  // Modes.
  const modes = [['swipe', '卷帘'], ['side', '并排'], ['before', '前时相'], ['after', '后时相']];
  const modeButtons = h('div.seg', { role: 'group', 'aria-label': '影像对比方式' }, modes.map(([m, l]) => h('button', { type: 'button', dataset: { mode: m }, onclick: () => setMode(m) }, l)));
  const setMode = (m) => {
    el.dataset.mode = m;
    for (const b of modeButtons.children) b.classList.toggle('on', b.dataset.mode === m);
    before.setVisible(!!imagery && m !== 'after');
    after.setVisible(!!imagery && m !== 'before');
    if (m === 'side') {
      ensureSide();
      before.setVisible(!!imagery);
      after.setVisible(false);
    }
    setTimeout(() => {
      map.updateSize();
      if (side) side.updateSize();
    }, 0);
    map.render();
  };

  const ensureSide = () => {
    if (side) return;
    const vec = mkVectors();
    sideZoneLayers.push(...vec.zl);
    for (const zl of vec.zl) zl.setVisible(zoneLayers.find((l) => l.get('zone') === zl.get('zone')).getVisible());
    sideAfter = new TileLayer({ source: after.getSource(), visible: !!imagery, minZoom: after.getMinZoom(), extent: after.getExtent(), properties: { date: 'after' } });
    side = new Map({ target: sideEl, view, layers: [sideAfter, ...vec.list], controls: [new ScaleLine({ units: 'metric' })] });
  };

  // Layer toggles and legend.
  const toggles = h('div.layer-toggles', h('span.label', '图层'),
    zoneLayerDefs.map((z) => h('label.chk', h('input', {
      type: 'checkbox', checked: z.on, dataset: { zone: z.code },
      onchange: (e) => toggleZone(z.code, e.target.checked),
    }), z.label)),
    h('label.chk', h('input', { type: 'checkbox', checked: true, onchange: (e) => setTubansVisible(e.target.checked) }), '图斑'));
  const setTubansVisible = (on) => {
    for (const m of [map, side]) {
      if (!m) continue;
      m.getLayers().forEach((l) => {
        if (l.get('tubans')) l.setVisible(on);
      });
    }
  };
  const loaded = {};
  const toggleZone = async (code, on) => {
    for (const l of [...zoneLayers, ...sideZoneLayers]) if (l.get('zone') === code) l.setVisible(on);
    if (on && !loaded[code]) await loadZone(code);
  };
  const loadZone = async (code) => {
    loaded[code] = true;
    try {
      const fc = await get('/zones/' + code);
      zoneSources[code].addFeatures(readFeatures(fc));
    } catch (e) {
      // no such layer imported yet: nothing to show
    }
  };
  const legend = h('details.legend', h('summary', '图例'),
    h('div', h('b', '初判（边线）'), ...Object.entries({ suspected: '疑似违法', approved: '已有用地手续', not_of_interest: '非关注变化' })
      .map(([k, l]) => h('span.sw', h('i', { style: `border-color:${judgementColors[k]}` }), l))),
    h('div', h('b', '变化类型（填充）'), ...Object.entries({ building: '建(构)筑物/硬化', greenhouse: '大棚', road: '道路', earthwork: '推堆土/动土', pond: '坑塘/水面', revegetation: '植被恢复', other: '其他变化' })
      .map(([k, l]) => h('span.sw', h('i.fill', { style: `background:${hexAlpha(tblxColors[k], 0.6)}` }), l))));
  const tools = h('div.map-tools', modeButtons, toggles, legend);
  el.prepend(tools);

  // Imagery.
  let imagery = null;
  const loadImagery = async (batch) => {
    if (!batch) {
      modeButtons.hidden = true;
      el.dataset.imagery = 'none';
      return;
    }
    try {
      const info = await get('/tiles/' + encodeURIComponent(batch));
      imagery = info;
      const extent = transformExtent(info.bounds, 'EPSG:4326', 'EPSG:3857');
      const mk = (date) => new XYZ({ url: info.url.replace('{date}', date), minZoom: info.min_zoom, maxZoom: info.max_zoom, tileSize: 256, transition: 0 });
      before.setSource(mk('before'));
      after.setSource(mk('after'));
      for (const l of [before, after]) {
        l.setExtent(extent);
        l.setMinZoom(info.min_zoom - 0.5);
      }
      labels.firstChild.textContent = '前时相 ' + (info.before_date || '');
      labels.lastChild.textContent = '后时相 ' + (info.after_date || '');
      el.dataset.imagery = 'ok';
      if (sideAfter) {
        sideAfter.setSource(after.getSource());
        sideAfter.setExtent(extent);
        sideAfter.setMinZoom(info.min_zoom - 0.5);
        sideAfter.setVisible(true);
      }
      if (!fitted) fit(extent);
      // Past a few tile pixels per scene pixel the imagery shows only blocks.
      const z = view.getZoom();
      if (z && z > info.native_zoom + 2) view.setZoom(info.native_zoom + 2);
      setMode(el.dataset.mode);
    } catch (e) {
      el.dataset.imagery = 'none';
      modeButtons.hidden = true;
      status.textContent = '该批次没有可显示的影像（' + e.message + '）';
      status.classList.add('show');
    }
  };

  let fitted = false;
  let pendingFit = null; // a fit asked for before the map had a size
  const fit = (extent, minSide = 400) => {
    if (!extent || isEmpty(extent)) return;
    const grow = Math.max(minSide - getWidth(extent), minSide - getHeight(extent), 0) / 2;
    const size = map.getSize();
    fitted = true;
    if (!size || !size[0] || !size[1]) {
      pendingFit = buffer(extent, grow);
      return;
    }
    map.getView().fit(buffer(extent, grow), { padding: [30, 30, 30, 30], maxZoom: 19 });
  };

  const setTubans = (fc) => {
    tubanSource.clear();
    if (fc) tubanSource.addFeatures(readFeatures(fc));
    if (!opts.focus && tubanSource.getFeatures().length) fit(tubanSource.getExtent(), 2000);
  };
  if (opts.tubans) setTubans(opts.tubans);
  if (opts.focus) {
    const f = geojson.readFeature({ type: 'Feature', geometry: opts.focus, properties: { focus: true, jcbh: opts.focusLabel } });
    focusSource.addFeature(f);
    fit(f.getGeometry().getExtent(), 300);
  }
  if (opts.photos) {
    for (const p of opts.photos) {
      if (!p.has_gps) continue;
      photoSource.addFeature(new Feature({ geometry: new Point(fromLonLat([p.lon, p.lat])), ok: p.ok, direction: p.direction_deg, has_direction: p.has_direction, name: p.name }));
    }
  }
  if (opts.onFeature) {
    map.on('singleclick', (e) => {
      const f = map.forEachFeatureAtPixel(e.pixel, (x) => x, { layerFilter: (l) => !!l.get('tubans') });
      if (f) opts.onFeature(f.getProperties());
    });
    map.on('pointermove', (e) => {
      const hit = map.hasFeatureAtPixel(e.pixel, { layerFilter: (l) => !!l.get('tubans') });
      mapEl.style.cursor = hit ? 'pointer' : '';
    });
  }
  for (const z of zoneLayerDefs) if (z.on) loadZone(z.code);
  loadImagery(opts.batch).then(() => {
    if (!fitted) {
      const ext = createEmpty();
      for (const s of Object.values(zoneSources)) if (s.getFeatures().length) extend(ext, s.getExtent());
      if (!isEmpty(ext)) fit(ext);
    }
  });
  setMode('swipe');
  // Size changes (the page lays out after the map is made).
  const ro = new ResizeObserver(() => {
    map.updateSize();
    if (side) side.updateSize();
    const size = map.getSize();
    if (pendingFit && size && size[0] && size[1]) {
      map.getView().fit(pendingFit, { padding: [30, 30, 30, 30], maxZoom: 19 });
      pendingFit = null;
    }
  });
  ro.observe(stage);
  return {
    el,
    map,
    setTubans,
    setMode,
    setSwipe,
    destroy() {
      ro.disconnect();
      map.setTarget(null);
      if (side) side.setTarget(null);
    },
  };
}
