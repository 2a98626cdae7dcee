import { kataVitestConfig } from '../../vitest.shared.ts';

// Integration tests start real containers (and one suite a VM under TCG).
export default kataVitestConfig();
