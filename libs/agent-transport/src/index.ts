export { parseAgentUri, type AgentUri } from './agent-uri';
export { createDialer, type Dialer, type DialerOptions, type DialOptions } from './dialer';
export {
  DialError,
  HybridVsockError,
  PortChannelError,
  VsockError,
  type DialErrorCode,
  type HybridVsockErrorCode,
  type PortChannelErrorCode,
  type VsockErrorCode,
} from './errors';
export { connectHybridVsock, type HybridVsockConnectOptions } from './hybrid-vsock';
export { hybridVsockOk, readHybridVsockRequest } from './hybrid-vsock-request';
export { serveHybridVsock, type HybridVsockServer, type HybridVsockServerOptions } from './hybrid-vsock-server';
export { ADDON_PATH_ENV, loadVsockAddon, type VsockAddon, type VsockAddress } from './native-addon';
export { socketFromFd } from './pipe-handle';
export { connectPort, listenPorts, type ConnectPortOptions, type MuxSessionLike, type PortListener, type PortRouter } from './port-channel';
export { findVirtioPort, openSerialPort, type VirtioPortRoots } from './serial-port';
export { listenVsock, type VsockListenOptions, type VsockServer } from './vsock-server';
export {
  connectVsock,
  errnoCode,
  VMADDR_CID_ANY,
  VMADDR_CID_HOST,
  VMADDR_CID_LOCAL,
  VMADDR_PORT_ANY,
  type VsockConnectOptions,
} from './vsock-socket';
export { listen } from './listener';
export type { Listener, ListenOptions } from './listener-interface';
export { SerialChannel } from './serial-channel';
export { ChannelClient, type ChannelClientEvents, type ChannelClientOptions, type ChannelConnectOptions } from './channel-client';
export { describeChannel, dialPort, openChannel, type AgentChannel, type GuestEndpoint } from './agent-channel';
