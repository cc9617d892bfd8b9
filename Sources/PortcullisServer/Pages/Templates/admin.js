// The dashboard's live view: every few seconds, fetch the charts as the server draws them (points
// and latest values, computed by the same code that rendered the page) and put them in place.
"use strict";
(function () {
    const charts = document.getElementById("charts");
    if (!charts) return;
    async function refresh() {
        try {
            const response = await fetch(charts.dataset.source, { credentials: "same-origin" });
            if (!response.ok) return;
            for (const chart of await response.json()) {
                const line = charts.querySelector(`polyline[data-series="${chart.key}"]`);
                if (line) line.setAttribute("points", chart.points);
                const label = charts.querySelector(`[data-value="${chart.key}"]`);
                if (label) label.textContent = chart.value;
            }
        } catch (ignored) { /* the next round tries again */ }
    }
    setInterval(refresh, 3000);
})();
