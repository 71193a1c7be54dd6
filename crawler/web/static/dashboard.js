// Draws the dashboard's charts with the vendored Chart.js (/static/vendor/chartjs/). Each <canvas data-chart=ID>
// names the <script type="application/json" id=ID> element that holds its numbers; nothing here is inline,
// so the page keeps its strict Content-Security-Policy (script-src 'self').
"use strict";

(function () {
  // Colour-blind-safe palette (Okabe-Ito), repeated when there are more series.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

  function datasets(data, kind) {
    return data.series.map(function (series, n) {
      const colour = PALETTE[n % PALETTE.length];
      return {
        label: series.name,
        data: series.values,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: kind === "line" ? 2 : 0,
        pointRadius: kind === "line" ? 2 : 0,
        tension: 0,
      };
    });
  }

  function draw(canvas) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    const kind = canvas.dataset.kind === "line" ? "line" : "bar";
    const stacked = kind === "bar";
    canvas.chart = new window.Chart(canvas, {
      type: kind,
      data: { labels: data.days, datasets: datasets(data, kind) },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: stacked },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: data.label } },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
    canvas.dataset.drawn = "yes";
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
