import { health } from '@kata-ts/protocols';
import type { ServiceImplementation } from '@kata-ts/ttrpc';
import { AGENT_VERSION } from './agent-service';

/** grpc.Health: the shim's "is the agent up" probe. */
export function healthService(): ServiceImplementation<typeof health.HealthDefinition> {
  return {
    check: async () => ({ status: health.HealthCheckResponse_ServingStatus.SERVING }),
    version: async () => ({ grpcVersion: 'ttrpc', agentVersion: AGENT_VERSION }),
  };
}
