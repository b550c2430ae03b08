/* finmon's live page and run report: the dashboard's four panels drawn with dygraphs
 * from the library's history. Live: polls /api/history at the refresh interval (first
 * everything, then only newer points). Report: the final record is inlined. */
(function () {
  'use strict';

  function json(id) { return JSON.parse(document.getElementById(id).textContent); }
  var PANELS = json('finmon-panels');
  var CONFIG = json('finmon-config');
  var DATA = json('finmon-data');
  var REPORT = CONFIG.mode === 'report';
  var MAX_POINTS = 20000;   // what the page keeps while open (a day at 5 s is 17,280)

  var state = { times: [], series: [], index: {}, byName: {}, thresholds: {}, interval: 5,
                alerts: { active: [], timeline: [], fired: 0 }, champions: [], now: null, updates: 0 };
  var charts = [];
  window.finmon = { state: state, charts: charts, span: function () { return span(); } };

  // The history and its queries (history.js); the names page.js draws with.
  var store = window.finmonHistory(state, MAX_POINTS);
  var merge = store.merge, evaluate = store.evaluate, limit = store.limit,
      thresholdLine = store.thresholdLine, describe = store.describe, format = store.format,
      axisLabel = store.axisLabel, span = store.span, timeLabel = store.timeLabel, last = store.last;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function localTime(epoch) { return epoch === null || epoch === undefined ? '–' : new Date(epoch * 1000).toLocaleString(); }

  // ---- the row of current values -------------------------------------------------------------
  var statNodes = PANELS.stats.map(function (stat) {
    var box = el('div', 'stat');
    box.title = stat.description;
    box.appendChild(el('div', 'label', stat.title));
    var value = el('div', 'value', '–');
    box.appendChild(value);
    box.dataset.title = stat.title;
    document.getElementById('stats').appendChild(box);
    return { stat: stat, box: box, value: value };
  });

  function drawStats() {
    statNodes.forEach(function (node) {
      var stat = node.stat, v;
      if (stat.expr.op === 'alerts') v = state.alerts.active.length;
      else if (stat.expr.op === 'const') v = REPORT ? null : stat.expr.value;   // the report's loop has ended
      else v = last(evaluate(stat.expr));
      var text = format(stat.unit, v, stat.decimals === null ? undefined : stat.decimals), cls = 'value';
      stat.mappings.forEach(function (m) { if (v === m[0]) { text = m[1]; cls += m[2] === 'red' ? ' bad' : ' good'; } });
      if (stat.threshold && v !== null) {
        var t = limit(stat.threshold.value);
        var bad = stat.threshold.bad_above ? v >= t : v < t;
        cls += bad ? ' bad' : ' good';
      }
      if (REPORT && stat.expr.op === 'const') text = 'ended';
      node.value.textContent = text;
      node.value.className = cls;
      node.box.dataset.value = v === null ? '' : String(v);
    });
  }

  // ---- the four quadrants -------------------------------------------------------------------
  var COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];
  PANELS.quadrants.forEach(function (quadrant) {
    var box = el('section', 'quadrant');
    box.dataset.title = quadrant.title;
    box.appendChild(el('h2', null, quadrant.title));
    box.appendChild(el('p', 'about', quadrant.description));
    var graphs = el('div', 'graphs');
    box.appendChild(graphs);
    quadrant.panels.forEach(function (panel) {
      var graph = el('div', 'graph');
      graph.dataset.title = panel.title;
      graph.dataset.points = '0';
      var heading = el('h3', null, panel.title);
      graph.appendChild(heading);
      var chart = el('div', 'chart');
      chart.appendChild(el('div', 'nodata', 'no data yet'));
      graph.appendChild(chart);
      var legend = el('div', 'legend');
      graph.appendChild(legend);
      graphs.appendChild(graph);
      charts.push({ quadrant: quadrant, panel: panel, graph: graph, heading: heading, chart: chart, legend: legend,
                    dygraph: null });
    });
    document.getElementById('quadrants').appendChild(box);
  });

  function drawChart(c) {
    var panel = c.panel;
    c.heading.title = describe(panel.description);
    var lines = panel.lines.map(function (line) { return evaluate(line.expr); });
    var labels = ['Time'].concat(panel.lines.map(function (line) { return line.legend; }));
    var threshold = panel.threshold ? thresholdLine(panel.threshold) : null;
    if (threshold) labels.push('threshold');
    var rows = [], points = 0, lastValues = {}, lastTime = null;
    for (var i = 0; i < state.times.length; i++) {
      var row = [new Date(state.times[i] * 1000)], any = false;
      lines.forEach(function (values) { row.push(values[i]); if (values[i] !== null) { any = true; points++; } });
      if (threshold) row.push(threshold[i]);
      if (any || threshold) rows.push(row);
      if (any) lastTime = state.times[i];
    }
    panel.lines.forEach(function (line, k) { lastValues[line.legend] = last(lines[k]); });
    c.graph.dataset.points = String(points);
    c.graph.dataset.last = JSON.stringify(lastValues);
    c.graph.dataset.lastTime = lastTime === null ? '' : String(lastTime);
    if (!rows.length) return;
    var formatter = function (v) { return format(panel.unit, v); };
    var axisFormatter = function (v) { return axisLabel(panel.unit, v); };
    var series = {};
    if (threshold) series.threshold = { strokePattern: [6, 4], color: '#c62828', strokeWidth: 1.2, drawPoints: false };
    var options = {
      file: rows, labels: labels, labelsDiv: c.legend, legend: 'always', labelsSeparateLines: false,
      colors: COLORS.slice(0, panel.lines.length).concat(threshold ? ['#c62828'] : []),
      strokeWidth: 1.5, series: series, connectSeparatedPoints: false, drawPoints: rows.length < 40,
      valueRange: [panel.min === null ? null : panel.min, panel.max === null ? null : panel.max],
      includeZero: panel.min === 0,
      // Every chart spans the same time, on the browser's local clock.
      // (Under half a minute dygraphs' own range gives better ticks.)
      dateWindow: span() >= 30 ? [state.times[0] * 1000, state.times[state.times.length - 1] * 1000] : null,
      axes: { y: { valueFormatter: formatter, axisLabelFormatter: axisFormatter, axisLabelWidth: 58 },
              x: { axisLabelWidth: 64, pixelsPerLabel: 80, axisLabelFormatter: timeLabel,
                   valueFormatter: function (ms) { return new Date(ms).toLocaleString(); } } },
      highlightCircleSize: 3, rightGap: 8, xRangePad: 4,
    };
    if (!c.dygraph) {
      c.chart.textContent = '';
      c.dygraph = new Dygraph(c.chart, rows, options);
    } else {
      c.dygraph.updateOptions(options);
    }
    if (panel.title === 'Sharpe ratio') annotateChampions(c, rows);
  }

  // Champion updates on the Sharpe chart, at the first sample at or after each update.
  function annotateChampions(c, rows) {
    var notes = [], used = {};
    state.champions.forEach(function (update) {
      var at = update.time * 1000, k = 0;
      while (k < rows.length && rows[k][0].getTime() < at) k++;
      if (k === rows.length || used[k]) return;
      used[k] = true;
      notes.push({ series: 'champion', x: rows[k][0].getTime(), shortText: 'C', width: 14, height: 14,
                   text: 'champion update: iteration ' + update.iteration + ', Sharpe ' + format('none', update.sharpe) });
    });
    c.dygraph.setAnnotations(notes);
  }

  // ---- alerts and the champion's history ----------------------------------------------------
  function table(headers, rows) {
    var t = el('table'), head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', null, h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (cell) {
        var td = el('td', cell.cls || null, cell.text !== undefined ? cell.text : cell);
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    return t;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    var s = Math.round(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return h ? h + ' h ' + m + ' min' : m ? m + ' min ' + (s % 60) + ' s' : s + ' s';
  }

  function drawAlerts() {
    var box = document.getElementById('alerts');
    box.textContent = '';
    var active = REPORT && DATA ? (DATA.active_alerts || []) : state.alerts.active;
    box.appendChild(el('h3', null, (REPORT ? 'Active at stop: ' : 'Active now: ') + active.length));
    box.dataset.active = JSON.stringify(active.map(function (a) { return a.alert_type; }));
    if (active.length) {
      box.appendChild(table(['Alert', 'Severity', 'Since', 'Value', 'Threshold', 'Message'], active.map(function (a) {
        return [a.alert_type, { text: a.severity, cls: 'sev-' + a.severity }, new Date(a.starts_at).toLocaleString(),
                { text: format('none', a.current_value), cls: 'num' }, { text: format('none', a.threshold_value), cls: 'num' },
                a.message];
      })));
    }
    var spans = state.alerts.timeline.slice().reverse();
    if (!REPORT) spans = spans.slice(0, 30);
    box.appendChild(el('h3', null, 'Timeline (' + state.alerts.fired + ' fired)'));
    box.appendChild(table(['Alert', 'Severity', 'Fired', 'Resolved', 'Lasted', 'Message'], spans.map(function (s) {
      var end = s.resolved_at === null ? (state.now || s.fired_at) : s.resolved_at;
      return [s.alert_type, { text: s.severity, cls: 'sev-' + s.severity }, localTime(s.fired_at),
              s.resolved_at === null ? 'firing' : localTime(s.resolved_at), duration(end - s.fired_at), s.message];
    })));
  }

  function drawChampions() {
    var box = document.getElementById('champions');
    box.textContent = '';
    var updates = state.champions.slice().reverse();
    box.dataset.count = String(updates.length);
    if (!REPORT) updates = updates.slice(0, 25);
    box.appendChild(table(['Iteration', 'Sharpe', 'Time'], updates.map(function (u) {
      return [{ text: u.iteration === null ? '–' : String(u.iteration), cls: 'num' },
              { text: format('none', u.sharpe, 3), cls: 'num' }, localTime(u.time)];
    })));
  }

  // ---- the report's summary ---------------------------------------------------------------
  function metric(name) {
    var families = (DATA && DATA.metrics) || [];
    for (var i = 0; i < families.length; i++) {
      var samples = families[i].samples;
      for (var j = 0; j < samples.length; j++) {
        if (samples[j].name === name && Object.keys(samples[j].labels).length === 0) return samples[j].value;
      }
    }
    return null;
  }

  function peak(name) {
    var all = state.byName[name] || [];
    return all.length ? all[0].peak : null;
  }

  function drawSummary() {
    var box = document.getElementById('summary');
    box.hidden = false;
    box.textContent = '';
    var run = DATA.run || {}, champion = state.champions.length ? state.champions[state.champions.length - 1] : null;
    var rows = [
      ['Run', new Date(run.started_at).toLocaleString() + ' – ' + new Date(run.ended_at).toLocaleString() +
              ' (' + duration(run.duration_seconds) + ')'],
      ['Iterations', run.iterations === null || run.iterations === undefined ? '–' : String(run.iterations)],
      ['Champion', champion ? 'Sharpe ' + format('none', champion.sharpe, 3) + ' at iteration ' + champion.iteration +
               ' (' + state.champions.length + ' updates)' : format('none', metric('champion_sharpe_ratio'), 3)],
      ['Successes / failures', format('none', metric('strategy_success_total')) + ' / ' +
                               format('none', metric('strategy_failure_total'))],
      ['Alerts fired', String(state.alerts.fired)],
      ['Peak memory', 'loop process RSS ' + format('decgbytes', scaled(peak('process_resident_memory_bytes'))) +
                      ', host in use ' + format('decgbytes', scaled(peak('system_memory_usage_bytes')))],
    ];
    box.appendChild(el('h2', null, 'Summary'));
    var t = table(['', ''], rows.map(function (r) { return [{ text: r[0] }, { text: r[1] }]; }));
    t.id = 'summary-table';
    box.appendChild(t);
  }

  function scaled(v) { return v === null || v === undefined ? null : v / 1e9; }

  // ---- drawing and polling ------------------------------------------------------------------
  function draw() {
    charts.forEach(drawChart);
    drawStats();
    drawAlerts();
    drawChampions();
    var res = document.getElementById('footer');
    res.textContent = 'Panels as on the Grafana dashboard (' + PANELS.source + '). ' + state.times.length +
      ' points; resolution: every sample for the last hour, then one point a minute for 24 h, then coarser over the whole run. Times are local.';
    document.body.dataset.updates = String(state.updates);
  }

  function status(text, stale) {
    var s = document.getElementById('status');
    s.textContent = text;
    s.className = stale ? 'status stale' : 'status';
  }

  if (REPORT) {
    document.getElementById('title').textContent = 'finmon — run report';
    document.title = 'finmon run report';
    merge(DATA.history, true);
    drawSummary();
    draw();
    status('report of the finished run, written ' + new Date(DATA.run.ended_at).toLocaleString());
    document.body.dataset.ready = 'true';
    return;
  }

  document.getElementById('title').textContent = 'finmon — live';
  document.getElementById('links').hidden = false;
  document.getElementById('metrics-link').href = CONFIG.metrics_path;
  var lastTime = null;

  // The series the panels draw: the page asks for these only, not every series.
  var NAMES = (function () {
    var names = {};
    function add(expr) {
      if (!expr || !expr.name) return;
      if (expr.op === 'rate_mean') { names[expr.name + '_sum'] = 1; names[expr.name + '_count'] = 1; }
      else if (expr.op === 'quantile') names[expr.name + '_bucket'] = 1;
      else names[expr.name] = 1;
    }
    PANELS.stats.forEach(function (s) { add(s.expr); if (s.threshold) add(s.threshold.of); });
    PANELS.quadrants.forEach(function (q) {
      q.panels.forEach(function (p) {
        p.lines.forEach(function (l) { add(l.expr); });
        if (p.threshold) add(p.threshold.of);
      });
    });
    // The report's summary reads these peaks.
    names.process_resident_memory_bytes = 1;
    names.system_memory_usage_bytes = 1;
    return Object.keys(names).sort().join(',');
  })();

  function poll() {
    var url = CONFIG.history_path + '?names=' + NAMES + (lastTime === null ? '' : '&after=' + lastTime);
    fetch(url, { cache: 'no-store' }).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    }).then(function (doc) {
      merge(doc, lastTime === null);
      if (state.times.length) lastTime = state.times[state.times.length - 1];
      draw();
      status('updated ' + new Date().toLocaleTimeString() + ', every ' + state.interval + ' s');
      document.body.dataset.ready = 'true';
    }).catch(function (error) {
      status('cannot reach the exporter (' + error.message + '); retrying', true);
    }).then(function () {
      setTimeout(poll, Math.max(500, state.interval * 1000));
    });
  }
  poll();
})();
