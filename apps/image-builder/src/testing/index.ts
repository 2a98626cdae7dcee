// Agents to bake into a test image (the boot harness itself is @kata-ts/testing's bootGuest).
export { exitingAgentDir, nodeFloorAgentDir, parseProbeReport, probeAgentDir, waitForProbeReport, type ProbeReport } from './probe-agent';
