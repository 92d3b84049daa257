// The report page's style, alone: html-report.ts puts it in the page's <style>, and the service's
// pages (scripts/web.ts) serve it as /assets/report.css, scoped to where they show a report's body.
// A leaf module, so that the pages' build needs nothing else of memgrade's.

// A `\` at the end of a line continues it: the page gets no newline there.
export const REPORT_STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #222; padding: 0 12px; }
header { border-radius: 8px; padding: 14px 18px; margin-bottom: 18px; }
header.passed { background: #e3f4e1; } header.failed { background: #fdebd3; } header.error { background: #fbe0e0; }
header h1 { font-size: 21px; margin: 0 0 4px; } header p { margin: 0; }
h2 { font-size: 17px; margin: 26px 0 8px; }
svg text { font-size: 12px; fill: #333; } .grid { stroke: #e4e4e4; }
.limit { stroke: #c0392b; stroke-width: 2; stroke-dasharray: 6 4; } .limit-label { fill: #c0392b; font-weight: 600; }
.peak circle { fill: none; stroke: #000; stroke-width: 2; } .peak text { font-weight: 600; }
#icicle text { fill: #fff; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin-top: 6px; } \
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e6e6e6; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; } tr.at-peak { background: #fff6e5; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.summary { font-weight: 600; } .missing { color: #8a5300; } footer { color: #666; font-size: 13px; margin-top: 28px; }
`;
