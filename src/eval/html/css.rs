//! The page's style sheet: screen (laptop, tablet, phone) and print (A4
//! landscape).

pub(super) const CSS: &str = r#"
:root{--ink:#1b1f24;--muted:#59636e;--line:#d0d7de;--bg:#f6f8fa;--green:#1a7f37;--amber:#9a6700;--red:#cf222e;--grey:#59636e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
main,header,footer{max-width:1400px;margin:0 auto;padding:0 20px}
header{padding-top:18px;border-bottom:1px solid var(--line)}
h1{font-size:24px;margin:0 0 6px}
h2{font-size:19px;margin:26px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:0 0 6px}
p,li,td,th,dd,dt,summary{overflow-wrap:anywhere}
.meta{display:flex;flex-wrap:wrap;gap:4px 22px;color:var(--muted);font-size:13px;margin:0 0 12px;padding:0;list-style:none}
.meta b{color:var(--ink);font-weight:600}
.summary{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 14px}
.summary div{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:6px 12px}
.programs{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px}
.program,.card,.kpi,.obligation{border:1px solid var(--line);border-radius:8px;padding:12px;background:#fff;break-inside:avoid}
.program dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 12px;margin:8px 0 0}
.program dt{color:var(--muted)}
.program dd{margin:0}
.board{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:10px}
.column{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:8px;min-width:0}
.column h3{font-size:14px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.column .empty{color:var(--muted);font-size:13px;margin:4px 0}
.card{margin:0 0 8px;font-size:14px}
.card p{margin:4px 0}
.card h4{margin:0 0 4px;font-size:15px}
details h4{margin:12px 0 4px}
.owner{color:var(--muted)}
b.g,b.a,b.u,b.r{display:inline-block;font-weight:600;border-radius:4px;padding:0 6px;border:1px solid currentColor;white-space:nowrap}
b.g::before,b.a::before,b.u::before,b.r::before{content:var(--symbol);content:var(--symbol) / ""}
.g{color:var(--green);--symbol:"\2714  "}.a{color:var(--amber);--symbol:"\25B2  "}.u{color:var(--grey);--symbol:"? "}.r{color:var(--red);--symbol:"\2716  "}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}
.kpi p{margin:3px 0}
.kpi .value{font-size:20px;font-weight:600}
svg{display:block;width:100%;max-width:240px;height:auto;aspect-ratio:6/1}
.kpi svg{margin-top:6px}
.members{margin:4px 0;padding-left:18px;font-size:13px}
svg path{fill:none;stroke:#0969da;stroke-width:1.5;vector-effect:non-scaling-stroke}
svg .t{stroke:#59636e;stroke-width:1;stroke-dasharray:4 3}
svg .w{stroke:#9a6700;stroke-width:1;stroke-dasharray:1 2}
svg .d{stroke-width:5;stroke-linecap:round}
#kpis-met{margin:18px 0 4px}
.met th:first-child{width:34%}
.met th:nth-child(2),.met th:nth-child(3){width:10%}
.met th:nth-child(4){width:22%}
.met svg{max-width:180px}
.criteria th:first-child{width:30%}
.pass{margin:2px 0 6px;padding-left:18px;font-size:13px}
.criteria th:nth-child(2){width:12%}
.obligation{margin:0 0 10px}
.obligation p{margin:3px 0}
details{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:8px 12px}
summary{cursor:pointer;font-weight:600}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px;table-layout:fixed}
th,td{border-top:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
footer{border-top:1px solid var(--line);margin-top:28px;padding:12px 20px 24px;color:var(--muted);font-size:13px}
footer code{display:block;background:var(--bg);padding:8px;border-radius:6px;white-space:pre-wrap;color:var(--ink)}
.muted{color:var(--muted)}
@media (max-width:900px){.board{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:560px){
 body{font-size:14px}
 main,header,footer{padding-left:12px;padding-right:12px}
 .board{grid-template-columns:minmax(0,1fr)}
 .programs,.kpis{grid-template-columns:minmax(0,1fr)}
 table,thead,tbody,tr,th,td{display:block;width:100%}
 thead{display:none}
 td{border-top:none;padding:2px 0}
 tr{border-top:1px solid var(--line);padding:4px 0}
}
@page{size:A4 landscape;margin:10mm}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{font-size:10px}
 main,header,footer{max-width:none;padding:0}
 h1{font-size:18px}
 h2{font-size:14px;margin:12px 0 6px}
 h3,.card h4,.kpi .value{font-size:12px}
 .card{font-size:10px}
 .meta,table,footer,.column .empty,code,.pass,.members{font-size:9px}
 .column h3{font-size:11px}
 .summary{margin:6px 0 8px}
 .board{grid-template-columns:repeat(6,minmax(0,1fr))}
 .programs{grid-template-columns:repeat(2,minmax(0,1fr))}
 .kpis{grid-template-columns:repeat(3,minmax(0,1fr))}
 h2{break-after:avoid}
 details{break-inside:avoid}
}
"#;
