/** The agent's ttrpc port: on kernel vsock, and as the port header of a mux stream on the serial channel. */
export const AGENT_PORT = 1024;

/** Kata's debug console port (`kata-runtime exec`), served only when the kernel command line asks. */
export const DEBUG_CONSOLE_PORT = 1026;

/** The virtio-serial port the agent listens on when there is no vsock (Kata's name). */
export const AGENT_CHANNEL_NAME = 'agent.channel.0';
