#!/bin/bash
# swarm-aws node boot script (rendered into the launch template; CloudFormation substitutes the
# stack values). It prepares the host only: swarmd is installed over SSH by `swarm-aws bootstrap`.
set -euo pipefail
mkdir -p /etc/swarm-aws
cat > /etc/swarm-aws/node.env <<NODE
SWARM_AWS_CLUSTER=${AWS::StackName}
SWARM_AWS_REGION=${AWS::Region}
SWARM_AWS_ROLE=@ROLE@
NODE
chmod 0644 /etc/swarm-aws/node.env
dnf install -y docker
mkdir -p /etc/docker
