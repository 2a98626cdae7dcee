import { defineConfig } from 'vitest/config';

// Integration tests start real containers (and one suite a VM under TCG) on a shared machine.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 180_000 } });
