import { secretFromEnv } from './PC-K8S-008.js';
import { describeRuleCases } from './testdata/cases.js';

describeRuleCases(secretFromEnv, [
  {
    name: 'secretKeyRef and envFrom.secretRef, in every container list',
    yaml: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: i:1
          envFrom:
            - configMapRef: { name: settings }
            - secretRef: { name: db }
      containers:
        - name: app
          image: a:1
          env:
            - name: PLAIN
              value: x
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef: { name: db, key: password }
`,
    lines: [13, 22],
    messageContains: ['db'],
  },
  {
    name: 'Secret mounted as a volume; ConfigMap refs',
    yaml: `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: a:1
      env:
        - name: LEVEL
          valueFrom:
            configMapKeyRef: { name: settings, key: level }
      volumeMounts: [{ name: db, mountPath: /run/secrets/db }]
  volumes:
    - name: db
      secret: { secretName: db }
`,
    lines: [],
  },
]);
