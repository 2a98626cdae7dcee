import { kataVitestConfig } from '../../vitest.shared.ts';

export default kataVitestConfig();
