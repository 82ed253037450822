import { DIALOG_STYLE, Html, html } from '@premiere/web';
import { ADMIN_SCRIPT } from './admin-script';

/**
 * The operators' page (pt-BR: the operators are in São Paulo and Rio). A page of its own rather
 * than the visitors' shell: its styles stay here (but the dialog's frame, runtime's DIALOG_STYLE, its
 * buttons still its own), and no visitor page's change can move a button an operator presses in
 * the middle of a sale. Everything live is drawn by ADMIN_SCRIPT from the
 * operators' API, with the token kept in the tab's sessionStorage (see there why).
 */
const STYLE = `:root{--ink:#1d1d1f;--muted:#5b5b60;--line:#d9d9de;--bg:#f4f4f6;--card:#fff;--blue:#0a58b0;--red:#b3261e;--red-bg:#fdecea;--green:#146c2e;--green-bg:#e7f4ea;--amber:#8a5300;--amber-bg:#fff4e0}
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--ink);background:var(--bg);line-height:1.4}
.bar{background:#141414;color:#fff;padding:.6rem 1rem;display:flex;align-items:center;gap:.8rem;flex-wrap:wrap}.bar a{color:#fff;font-weight:700;text-decoration:none}
.bar .place{color:#ccc}.bar .who{margin-left:auto;display:flex;align-items:center;gap:.6rem}
main{max-width:78rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem;margin:.3rem 0}h2{font-size:1.15rem;margin:1.4rem 0 .5rem}h3{font-size:1.1rem;margin:0}
.card{background:var(--card);border-radius:.6rem;padding:1rem;margin:.7rem 0;box-shadow:0 1px 2px #0002}
button{font:inherit;min-height:2.75rem;padding:.5rem 1rem;border-radius:.45rem;border:1px solid var(--blue);background:#fff;color:var(--blue);cursor:pointer}
button.primary{background:var(--blue);color:#fff}button.danger{border-color:var(--red);color:var(--red);background:#fff}
button.danger.solid{background:var(--red);color:#fff}button.quiet{border-color:#fff8;color:#fff;background:transparent;min-height:2.25rem}
button:hover{filter:brightness(.93)}button:disabled{opacity:.5;cursor:default}
:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}[tabindex="-1"]:focus{outline:none}[hidden]{display:none!important}
label{font-weight:600;display:block;margin:.6rem 0 .2rem}input{font:inherit;padding:.55rem .6rem;border:1px solid #8a8a90;border-radius:.4rem;width:100%;max-width:26rem}
.hint,.muted{color:var(--muted);font-size:.9rem;margin:.2rem 0}code{font-size:.85em}
.error{color:var(--red);background:var(--red-bg);border-left:4px solid var(--red);padding:.5rem .7rem;border-radius:.3rem}
.ok{color:var(--green);background:var(--green-bg);border-left:4px solid var(--green);padding:.5rem .7rem;border-radius:.3rem}
#sign-in{max-width:32rem}#sign-in button{margin-top:.8rem}
.top{display:flex;align-items:baseline;justify-content:space-between;flex-wrap:wrap;gap:.5rem}
.live{margin:0;color:var(--muted);font-size:.9rem;display:flex;align-items:center;gap:.4rem}.live.stale{color:var(--red)}
.dot{width:.6rem;height:.6rem;border-radius:50%;background:#2e9e4f;display:inline-block}.live.stale .dot{background:var(--red)}
@media (prefers-reduced-motion:no-preference){.live:not(.stale) .dot{animation:beat 2s infinite}@keyframes beat{50%{opacity:.3}}}
#shows{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,34rem),1fr));gap:.8rem}#shows .card{margin:0}
.show header{display:flex;justify-content:space-between;gap:.6rem;flex-wrap:wrap}.where,.when{margin:.15rem 0;color:var(--muted)}
.when{color:var(--ink);font-weight:600}.badges{display:flex;gap:.3rem;flex-wrap:wrap;align-items:flex-start;margin:0}
.badge{font-size:.8rem;font-weight:600;padding:.15rem .5rem;border-radius:1rem;background:#e8e8ec;color:var(--ink)}
.badge.on{background:var(--green-bg);color:var(--green)}.badge.warn{background:var(--amber-bg);color:var(--amber)}.badge.stop{background:var(--red-bg);color:var(--red)}
.seats{margin:.8rem 0 .4rem}.seatbar{display:flex;height:.7rem;border-radius:.35rem;overflow:hidden;background:#e3e3e8}
.seatbar .sold{background:#3a3a3f}.seatbar .held{background:#d98a00}
.legend{display:flex;gap:.3rem 1.1rem;flex-wrap:wrap;margin:.4rem 0 0;padding:0}.legend div{display:flex;align-items:baseline;gap:.35rem}
.legend dt{color:var(--muted);font-size:.9rem;display:flex;align-items:center;gap:.3rem}.legend dd{margin:0;font-weight:700;font-variant-numeric:tabular-nums}
.key{width:.7rem;height:.7rem;border-radius:.15rem;display:inline-block;background:#e3e3e8;border:1px solid #0003}.key.sold{background:#3a3a3f}.key.held{background:#d98a00}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(7.5rem,1fr));gap:.5rem;margin:.7rem 0 0;padding:0}
.figure{border:1px solid var(--line);border-radius:.45rem;padding:.45rem .6rem;margin:0;min-width:0;display:flex;flex-direction:column}.figure dt{font-size:.85rem;color:var(--muted)}
.figure dd{margin:0;flex:1;display:flex;flex-direction:column}.figure .n{font-size:1.35rem;font-weight:700;font-variant-numeric:tabular-nums;margin-right:.3rem}
.figure .sub{font-size:.8rem;color:var(--muted);display:block;margin-bottom:.35rem}svg.spark{display:block;width:100%;height:2.2rem;margin-top:auto;flex:none;background:linear-gradient(#fafafb,#f1f1f4);border-radius:.25rem}
svg.spark polyline{fill:none;stroke:var(--blue);stroke-width:1.8;stroke-linejoin:round}svg.spark circle{fill:var(--blue)}
svg.spark line{stroke:#9a9aa2;stroke-width:1;stroke-dasharray:3 3}
.result{margin:.7rem 0 0;min-height:0}.result:empty{display:none}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end;justify-content:space-between;margin-top:.8rem;border-top:1px solid var(--line);padding-top:.8rem}
.actions .group{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.danger-zone{border:1px dashed var(--red);border-radius:.5rem;padding:.4rem .5rem;display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
.danger-zone .title{font-size:.8rem;color:var(--red);font-weight:600;width:100%}
.legacy-figures{display:flex;gap:1.5rem;flex-wrap:wrap;align-items:center}.legacy-figures .figure{width:min(100%,22rem)}
${DIALOG_STYLE}
dialog#settings{max-width:min(34rem,calc(100vw - 2rem))}dialog .buttons{display:flex;gap:.6rem;justify-content:flex-end;flex-wrap:wrap;margin-top:1rem}
dialog .check{display:flex;gap:.5rem;align-items:center;font-weight:600}dialog .check input{width:auto}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.35rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
.table{overflow-x:auto;position:relative}.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}pre{white-space:pre-wrap;word-break:break-word;font-size:.8rem}`;

export function adminPage(): string {
  return html`<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>Operação · premiere</title><style>${new Html(STYLE)}</style></head>
<body><header class="bar"><a href="/" lang="en">premiere</a><span class="place">Operação</span>
<span class="who" id="who" hidden><button type="button" class="quiet" id="sign-out">Sair</button></span></header>
<main>
<section id="signed-out" aria-labelledby="sign-in-title">
<h1 id="sign-in-title">Painel de operação</h1>
<form id="sign-in" class="card" method="post" action="/admin">
<label for="token">Token de operador</label>
<p class="hint" id="token-help">O <code>ADMIN_TOKEN</code> da implantação (no cluster, no Secret <code>&lt;release&gt;-secrets</code>; localmente, em <code>.premiere/secrets.json</code>). Fica só nesta aba, até você sair ou fechá-la.</p>
<input id="token" name="token" type="password" autocomplete="current-password" spellcheck="false" required aria-describedby="token-help sign-in-error">
<p id="sign-in-error" class="error" role="alert" hidden></p>
<button type="submit" class="primary">Entrar</button>
</form>
</section>
<section id="signed-in" hidden aria-labelledby="rooms-title">
<div class="top"><h1 id="rooms-title">Salas de espera</h1><p class="live" id="live"><span class="dot" aria-hidden="true"></span><span id="updated">Carregando…</span></p></div>
<section class="card" aria-labelledby="legacy-title"><h2 id="legacy-title" style="margin-top:0">Sistema legado de assentos</h2>
<dl class="legacy-figures" id="legacy"><div class="figure"><dt>Uso (toda a implantação)</dt><dd><span class="n" data-figure="utilisation">–</span><span class="sub" data-figure="in-flight"></span></dd></div></dl>
<p class="hint">O tempo ocupado das chamadas sobre o limite de chamadas simultâneas, entre duas leituras. O porteiro mantém perto de 90 %.</p></section>
<div id="shows"></div>
<p id="no-shows" class="card" hidden>Nenhuma sessão tem sala de espera ainda: ela é criada na primeira senha pedida.</p>
<p class="muted">Atualizado a cada 5 s; os gráficos mostram os últimos 10 minutos desde que a página foi aberta. Horários no fuso do cinema. Toda ação fica no log e em <code>admit_batch.admin_actions</code>.</p>
<h2 id="letters-title">Eventos não entregues (dead letters)</h2>
<p class="muted">Eventos que o broker não conseguiu entregar depois de todas as tentativas, à espera de reenvio (os mais novos primeiro; os já reenviados ficam em <code>?state=replayed</code> na API). O reenvio manda o mesmo evento de novo: quem já o tinha tratado o ignora.</p>
<div id="letter-types" class="actions" hidden></div>
<div class="table" tabindex="0" role="region" aria-labelledby="letters-title"><table aria-labelledby="letters-title"><thead><tr><th scope="col">#</th><th scope="col">Tipo</th><th scope="col">Assunto</th><th scope="col">Destino</th><th scope="col">Erro</th><th scope="col">Falhas</th><th scope="col">Última falha</th><th scope="col">Reenvios</th><th scope="col"><span class="visually-hidden">Ações</span></th></tr></thead><tbody id="letters"></tbody></table></div>
<p id="no-letters" class="muted">Nenhum: todo evento foi entregue.</p>
<p id="letters-result" class="result" role="status"></p>
<pre id="letter" tabindex="-1"></pre>
</section>
</main>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text"><form method="dialog">
<h2 id="confirm-title"></h2><p id="confirm-text"></p>
<div class="buttons"><button value="cancel" type="submit" autofocus>Cancelar</button><button value="ok" type="submit" id="confirm-ok" class="danger solid"></button></div>
</form></dialog>
<dialog id="settings" aria-labelledby="settings-title"><form method="dialog" id="settings-form">
<h2 id="settings-title">Ajustes</h2><p id="settings-show" class="hint"></p>
<label for="capacity">Capacidade da zona de compra (pessoas)</label><input id="capacity" type="number" min="1" max="10000" step="1" inputmode="numeric" aria-describedby="capacity-help">
<p class="hint" id="capacity-help">Mudada aqui, fica fixa (o porteiro não a ajusta mais).</p>
<label class="check"><input id="adaptive" type="checkbox"> O porteiro ajusta a capacidade pelo sistema legado</label>
<label for="overbooking">Overbooking (%)</label><input id="overbooking" type="number" min="0" max="100" step="0.1" inputmode="decimal" aria-describedby="overbooking-help">
<p class="hint" id="overbooking-help">Senhas além dos assentos: a cota passa a ser assentos × (1 + overbooking).</p>
<label for="address-cap">Senhas por endereço</label><input id="address-cap" type="number" min="0" max="1000000" step="1" inputmode="numeric" aria-describedby="address-cap-help">
<p class="hint" id="address-cap-help">0: sem limite; vazio: o padrão da implantação.</p>
<div class="buttons"><button value="cancel" type="submit" formnovalidate>Cancelar</button><button value="ok" type="submit" class="primary">Salvar</button></div>
</form></dialog>
<script>${new Html(ADMIN_SCRIPT)}</script>
</body></html>
`.text;
}
