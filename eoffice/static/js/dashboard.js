/* Draws the figures of #stats-data with Chart.js (vendored, see static/vendor/chartjs). */
(function () {
  "use strict";
  var node = document.getElementById("stats-data");
  if (!node || typeof Chart === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var colours = {
    resolved_early: "#1c7c3a", resolved_on_time: "#5bb974", resolved_late: "#e08a00",
    in_progress_within: "#0b4f9c", in_progress_overdue: "#b3121f",
    withdrawn: "#7a7f87", refused: "#c4c9cf"
  };
  var bodies = document.getElementById("chart-bodies");
  var horizontal = data.labels.length > 6;
  if (bodies && horizontal) {  // one readable bar per body
    bodies.parentNode.style.height = Math.max(360, 26 * data.labels.length + 120) + "px";
  }
  if (bodies) {
    new Chart(bodies, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (s) {
          return { label: s.label, data: s.data, backgroundColor: colours[s.key] };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true, maintainAspectRatio: false, animation: false,
        scales: {
          x: { stacked: true, beginAtZero: true, ticks: { autoSkip: horizontal, precision: 0 } },
          y: { stacked: true, beginAtZero: true, ticks: { autoSkip: !horizontal, precision: 0 } }
        },
        plugins: { legend: { position: "bottom" } }
      }
    });
  }
  var total = document.getElementById("chart-total");
  if (total) {
    new Chart(total, {
      type: "doughnut",
      data: {
        labels: data.total.map(function (t) { return t.label; }),
        datasets: [{ data: data.total.map(function (t) { return t.value; }),
                     backgroundColor: data.total.map(function (t) { return colours[t.key]; }) }]
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false,
                 plugins: { legend: { position: "bottom" } } }
    });
  }
}());
