import { createProgram } from './cli';

await createProgram().parseAsync();
