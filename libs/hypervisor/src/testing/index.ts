export { FakeHypervisor } from './fake-hypervisor';
