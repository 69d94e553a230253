// Next.js in front of the mock: /v1 is rewritten to the mock, so the page and the API share one
// origin and no CORS is needed. Start the mock with --base-url http://localhost:3000, so the
// flows' ui.action comes through this rewrite too.
const mock = process.env.IDFLOWS_URL ?? 'http://localhost:4433';

module.exports = {
  turbopack: { root: __dirname }, // this folder is the app, not the repository around it
  async rewrites() {
    return [{ source: '/v1/:path*', destination: `${mock}/v1/:path*` }];
  },
};
