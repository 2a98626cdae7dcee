import { kataVitestConfig } from '../../vitest.shared';

export default kataVitestConfig();
