import { kataVitestConfig } from '../../vitest.shared';

// Integration tests start real containers (and one suite a VM under TCG).
export default kataVitestConfig();
