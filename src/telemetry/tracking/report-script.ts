/**
 * The report page's own script, inlined into the HTML next to uPlot (allowed by its hash in the page's CSP). It reads
 * the chart specs embedded as JSON and draws each with uPlot; `document.body.dataset.charts` says how many it drew
 * (and `data-report-error` what failed), which the report's browser test reads. Plain ES5-level JavaScript kept as a
 * string: it runs in the viewer's browser, not in Node, and is not transpiled.
 */
export const REPORT_SCRIPT = `(function () {
  'use strict';
  var colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];
  var drawn = 0;
  try {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    data.charts.forEach(function (c) {
      var host = document.querySelector('#chart-' + c.id + ' .plot');
      if (!host) return;
      var width = Math.max(320, Math.min(host.clientWidth || 600, 900));
      var range = c.range ? { range: [c.range[0], c.range[1]] } : {};
      var opts = {
        width: width,
        height: 260,
        scales: { x: Object.assign({ time: false }, range), y: range },
        // Rounds are whole numbers: no tick at round 1.5.
        axes: [
          c.xLabel === 'round' ? { label: c.xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] } : { label: c.xLabel },
          { label: c.yLabel, size: 70 },
        ],
        series: [{ label: c.xLabel }].concat(
          c.series.map(function (s, i) {
            return {
              label: s.label,
              stroke: colors[i % colors.length],
              width: 2,
              points: { show: c.x.length <= 40 },
            };
          }),
        ),
      };
      var values = [c.x].concat(c.series.map(function (s) { return s.values; }));
      new uPlot(opts, values, host);
      drawn++;
    });
  } catch (error) {
    document.body.dataset.reportError = String(error && error.message ? error.message : error);
    console.error(error);
  }
  document.body.dataset.charts = String(drawn);
})();
`;
