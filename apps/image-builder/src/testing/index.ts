export { bootGuest, waitForAgent, waitForConsole, type AgentConnection, type BootedGuest, type BootOptions } from './boot-guest';
export { exitingAgentDir, parseProbeReport, probeAgentDir, type ProbeReport } from './probe-agent';
