// A real OpenID Connect provider for the SSO tests: panva's oidc-provider (npm, pinned in
// package.json), on loopback, with its development sign-in pages (any password; the
// login name is the account). Configured from the environment by tests/sso/conftest.py.
import { readFileSync } from "node:fs";

import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(readFileSync(process.env.OIDC_ACCOUNTS_FILE, "utf8")); // {login: {claims}}
// A megabyte of name is built here: too big for the environment or the command line.
for (const account of Object.values(accounts)) {
  if (account.name_repeat) { account.name = account.name.repeat(account.name_repeat); delete account.name_repeat; }
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email'],
    groups: ['groups'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
});
// SIGUSR2 makes the token endpoint answer 503 (and back): a provider that is up enough
// to send people back to Candor, then fails to hand over their tokens.
let tokenFailing = false;
process.on("SIGUSR2", () => { tokenFailing = !tokenFailing; });
provider.use(async (ctx, next) => {
  if (tokenFailing && ctx.path === "/token") {
    ctx.status = 503;
    ctx.body = { error: "temporarily_unavailable" };
    return;
  }
  await next();
});
provider.listen(port, '127.0.0.1', () => { console.log(`ready ${issuer}`); });
