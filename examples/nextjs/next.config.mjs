/** @type {import("next").NextConfig} */
export default {
  // The relay streams Server-Sent Events: compressing them would hold
  // events back until a compression block fills.
  compress: false,
  // This folder is its own project (its own package-lock.json).
  turbopack: { root: import.meta.dirname },
};
