export { startProxy, type Proxy, type ProxyExit, type ProxyOptions } from './proxy';
