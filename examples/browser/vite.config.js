// Vite in front of the mock: /v1 goes to the mock, so the page and the API share one origin and
// no CORS is needed. Start the mock with --base-url http://localhost:5173, so the flows' ui.action
// comes through this proxy too.
export default {
  server: {
    port: Number(process.env.PORT ?? 5173),
    strictPort: true,
    proxy: { '/v1': process.env.IDFLOWS_URL ?? 'http://localhost:4433' },
  },
};
