/* finmon's history as the page holds it, and the dashboard's queries over it: merging
 * /api/history documents (or the report's inlined one) into `state`, evaluating the
 * operations finmon.livepage translates the panels' PromQL into, and the Grafana units.
 * No DOM here; page.js draws. Loaded before page.js, which calls finmonHistory once. */
window.finmonHistory = function (state, MAX_POINTS) {
  'use strict';

  // ---- history ---------------------------------------------------------------------------
  function merge(doc, full) {
    if (full) {
      state.times = []; state.series = []; state.index = {}; state.byName = {};
    }
    var before = state.times.length, added = doc.times.length, i;
    for (i = 0; i < added; i++) state.times.push(doc.times[i]);
    var seen = {};
    doc.series.forEach(function (s) {
      var key = s.name + JSON.stringify(s.labels);
      var entry = state.index[key];
      if (!entry) {
        entry = { name: s.name, labels: s.labels, values: new Array(before).fill(null) };
        state.index[key] = entry;
        state.series.push(entry);
        (state.byName[s.name] = state.byName[s.name] || []).push(entry);
      }
      for (var j = 0; j < added; j++) entry.values.push(j < s.values.length ? s.values[j] : null);
      entry.peak = s.peak;
      seen[key] = true;
    });
    state.series.forEach(function (entry) {
      var key = entry.name + JSON.stringify(entry.labels);
      if (!seen[key]) for (var j = 0; j < added; j++) entry.values.push(null);
    });
    var extra = state.times.length - MAX_POINTS;
    if (extra > 0) {
      state.times.splice(0, extra);
      state.series.forEach(function (entry) { entry.values.splice(0, extra); });
    }
    state.thresholds = doc.thresholds || {};
    state.interval = doc.interval_seconds || state.interval;
    state.alerts = doc.alerts || state.alerts;
    state.champions = doc.champions || [];
    state.now = doc.now;
    state.updates += 1;
  }

  // ---- the operations finmon.livepage translates the dashboard's queries into -------------
  function nulls() { return new Array(state.times.length).fill(null); }

  function one(name) {
    var all = state.byName[name] || [];
    for (var i = 0; i < all.length; i++) if (Object.keys(all[i].labels).length === 0) return all[i].values;
    return all.length ? all[0].values : null;
  }

  // The earliest point within the rate window before i (4 samples, as $__rate_interval is
  // 4 scrape intervals); for coarse points, the point before.
  function lookback(i) {
    if (i === 0) return -1;
    var from = state.times[i] - 4 * state.interval, j = i;
    while (j > 0 && state.times[j - 1] >= from - 1e-6) j--;
    return j === i ? i - 1 : j;
  }

  function le(entry) { var v = entry.labels.le; return v === '+Inf' ? Infinity : parseFloat(v); }

  function evaluate(expr) {
    var out = nulls(), i, v;
    switch (expr.op) {
      case 'series':
        var values = one(expr.name);
        if (!values) return out;
        for (i = 0; i < out.length; i++) { v = values[i]; out[i] = v === null ? null : v * expr.scale; }
        return out;
      case 'sum':
        var all = state.byName[expr.name] || [];
        for (i = 0; i < out.length; i++) {
          var total = null;
          all.forEach(function (e) { if (e.values[i] !== null) total = (total || 0) + e.values[i]; });
          out[i] = total === null ? (expr.default !== undefined ? expr.default : null) : total * expr.scale;
        }
        return out;
      case 'rate_mean':
        var sums = one(expr.name + '_sum'), counts = one(expr.name + '_count');
        if (!sums || !counts) return out;
        for (i = 0; i < out.length; i++) {
          var j = lookback(i);
          if (j < 0 || sums[i] === null || sums[j] === null || counts[i] === null || counts[j] === null) continue;
          var dc = counts[i] - counts[j];
          out[i] = dc > 0 ? (sums[i] - sums[j]) / dc : null;
        }
        return out;
      case 'quantile':
        var buckets = (state.byName[expr.name + '_bucket'] || []).slice().sort(function (a, b) { return le(a) - le(b); });
        if (!buckets.length) return out;
        for (i = 0; i < out.length; i++) out[i] = quantile(expr.q, buckets, lookback(i), i);
        return out;
      case 'const':
        return out.fill(expr.value);
      default:
        return out;
    }
  }

  // Prometheus' histogram_quantile over the buckets' increase between points j and i.
  function quantile(q, buckets, j, i) {
    if (j < 0) return null;
    var deltas = buckets.map(function (b) {
      return b.values[i] === null || b.values[j] === null ? null : b.values[i] - b.values[j];
    });
    var total = deltas[deltas.length - 1];
    if (total === null || !(total > 0)) return null;
    var rank = q * total;
    for (var b = 0; b < buckets.length; b++) {
      if (deltas[b] === null || deltas[b] < rank) continue;
      var upper = le(buckets[b]);
      if (upper === Infinity) return b > 0 ? le(buckets[b - 1]) : null;
      var lower = b > 0 ? le(buckets[b - 1]) : 0, below = b > 0 ? deltas[b - 1] : 0;
      return deltas[b] === below ? upper : lower + (upper - lower) * (rank - below) / (deltas[b] - below);
    }
    return null;
  }

  function limit(value) {
    if (value === null || value === undefined) return null;
    return typeof value === 'object' ? state.thresholds[value.key] : value;
  }

  function thresholdLine(threshold) {
    var value = limit(threshold.value);
    if (value === null || value === undefined) return nulls();
    if (!threshold.of) return nulls().fill(value);
    return evaluate(threshold.of).map(function (v) { return v === null ? null : v * value / 100; });
  }

  function describe(text) {
    return text.replace(/\{([a-z_.]+)\}/g, function (_, key) {
      var v = state.thresholds[key];
      return v === undefined ? key : String(v);
    });
  }

  // ---- units, as the dashboard's Grafana units --------------------------------------------
  function number(v, decimals) {
    if (decimals !== null && decimals !== undefined) return v.toFixed(decimals);
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
  }

  function format(unit, v, decimals) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    switch (unit) {
      case 'decgbytes': return number(v, decimals === undefined ? 2 : decimals) + ' GB';
      case 'percent': return number(v, decimals === undefined ? 1 : decimals) + '%';
      case 'percentunit': return (v * 100).toFixed(decimals === undefined ? 1 : decimals) + '%';
      case 's': return Math.abs(v) < 1 && v !== 0 ? (v * 1000).toFixed(0) + ' ms' : number(v, decimals) + ' s';
      default: return number(v, decimals);
    }
  }

  // Axis ticks: the unit's suffix, no trailing zeros (20 GB, 0.5 GB, 80%).
  function axisLabel(unit, v) {
    var n = unit === 'percentunit' ? v * 100 : v;
    var text = String(parseFloat(n.toPrecision(4)));
    switch (unit) {
      case 'decgbytes': return text + ' GB';
      case 'percent': case 'percentunit': return text + '%';
      case 's': return Math.abs(v) < 1 && v !== 0 ? String(parseFloat((v * 1000).toPrecision(4))) + ' ms' : text + ' s';
      default: return text;
    }
  }

  function span() { return state.times.length ? state.times[state.times.length - 1] - state.times[0] : 0; }

  // An x tick in local time: the clock within a day, the date and hour beyond.
  function timeLabel(date) {
    var d = date instanceof Date ? date : new Date(date), span = window.finmon.span();
    if (span > 2 * 86400) return d.toLocaleDateString([], { month: 'short', day: 'numeric' }) + ' ' +
      d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return d.toLocaleTimeString([], span > 600 ? { hour: '2-digit', minute: '2-digit' } :
                                      { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function last(values) {
    for (var i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
    return null;
  }

  return { merge: merge, evaluate: evaluate, limit: limit, thresholdLine: thresholdLine, describe: describe,
           format: format, axisLabel: axisLabel, span: span, timeLabel: timeLabel, last: last };
};
