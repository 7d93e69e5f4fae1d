// oauth4webapi wiring for a rescindd started by server.mjs (plain http on loopback, so
// allowInsecureRequests is set on every call).
import * as oauth from 'oauth4webapi';

export { oauth };
export const insecure = { [oauth.allowInsecureRequests]: true };

export async function discover(server) {
  const issuer = new URL(server.url);
  const res = await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' });
  return oauth.processDiscoveryResponse(issuer, res);
}

export function clientOf(c) {
  return { client_id: c.client_id };
}

export function authOf(c) {
  switch (c.token_endpoint_auth_method) {
    case 'none':
      return oauth.None();
    case 'client_secret_post':
      return oauth.ClientSecretPost(c.client_secret);
    default:
      return oauth.ClientSecretBasic(c.client_secret);
  }
}

// client_credentials grant through oauth4webapi; returns the processed token response.
export async function clientCredentials(as, c, scope) {
  const params = new URLSearchParams();
  if (scope) params.set('scope', scope);
  const res = await oauth.clientCredentialsGrantRequest(as, clientOf(c), authOf(c), params, insecure);
  return oauth.processClientCredentialsResponse(as, clientOf(c), res);
}

export async function introspect(as, c, token) {
  const res = await oauth.introspectionRequest(as, clientOf(c), authOf(c), token, insecure);
  return oauth.processIntrospectionResponse(as, clientOf(c), res);
}

export async function refresh(as, c, refreshToken) {
  const res = await oauth.refreshTokenGrantRequest(as, clientOf(c), authOf(c), refreshToken, insecure);
  return oauth.processRefreshTokenResponse(as, clientOf(c), res);
}

export async function userinfo(as, c, accessToken) {
  return oauth.userInfoRequest(as, clientOf(c), accessToken, insecure);
}

export async function revoke(as, c, token, hint) {
  const params = new URLSearchParams();
  if (hint) params.set('token_type_hint', hint);
  const res = await oauth.revocationRequest(as, clientOf(c), authOf(c), token, {
    ...insecure,
    additionalParameters: params,
  });
  return oauth.processRevocationResponse(res);
}
