export { bootConfig, bootGuest, waitForConsole, type BootedGuest, type BootOptions } from './boot-guest';
export { exitingAgentDir, nodeFloorAgentDir, parseProbeReport, probeAgentDir, waitForProbeReport, type ProbeReport } from './probe-agent';
