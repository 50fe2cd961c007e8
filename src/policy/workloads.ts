/**
 * The kinds whose pods the policy's rules reach (admission decisions, `policy test`, the
 * manifest audit), and where each keeps its pod template: the object holding the pod's
 * metadata and spec. A Pod is its own template; a CronJob nests a Job template.
 */
export const POD_TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  PodTemplate: ['template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};
