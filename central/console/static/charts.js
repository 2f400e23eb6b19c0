// Draws the report's charts with Chart.js from the JSON the page carries (no inline script).
// Every chart has a table beside it with the same figures, for screen readers and print.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("chart-data");
    if (!source || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    Chart.defaults.animation = false;
    Chart.defaults.color = "#1b1b1b";
    data.charts.forEach(function (chart) {
      var canvas = document.getElementById(chart.canvas);
      if (!canvas) return;
      new Chart(canvas, {
        type: chart.type,
        data: {
          labels: chart.labels,
          datasets: [{ label: chart.label, data: chart.values, backgroundColor: "#0a4f8f",
                       borderColor: "#0a4f8f" }],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          indexAxis: chart.horizontal ? "y" : "x",
          plugins: { legend: { display: false } },
          // Counts: whole numbers on the value axis (no "0.5 visits").
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } },
                    y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
