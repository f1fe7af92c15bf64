# Self-join: a new instance (a replacement, or one a scale added) joins with the instance role
# alone. It reads the join material `swarm-aws up` wrote under /swarm-aws/<stack>/ in SSM, installs
# the build of its architecture from the stack's bucket after checking its SHA-256, and starts
# swarmd with the same start script, env file and unit the SSH bootstrap writes, so both paths make
# the same node. A host that already holds a node (joined over SSH) is left as it is.
swarm_param() {
  aws ssm get-parameter --region "${AWS::Region}" --with-decryption \
    --name "/swarm-aws/${AWS::StackName}/$1" --query Parameter.Value --output text
}
if [ -f @STATE@/node.json ]; then echo "swarm-aws: already a node"; exit 0; fi
# Until `up` has written the join material (on the first boot its SSH bootstrap comes first).
until token=$(swarm_param @ROLE@-token 2>/dev/null) && managers=$(swarm_param managers 2>/dev/null); do
  if [ -f @STATE@/node.json ]; then echo "swarm-aws: joined over SSH"; exit 0; fi
  sleep 10
done
# The SSH bootstrap may have joined it while this waited (it writes the material afterwards).
if [ -f @STATE@/node.json ]; then echo "swarm-aws: joined over SSH"; exit 0; fi
arch=$(uname -m)
want=$(swarm_param "swarmd-sha256-$arch")
mkdir -p "$(dirname @BINARY@)" @STATE@ "$(dirname @ENV_FILE@)" "$(dirname @START@)"
aws s3 cp --region "${AWS::Region}" --only-show-errors \
  "s3://${ArtifactBucket}/swarmd/$arch/swarmd" @BINARY@.new
echo "$want  @BINARY@.new" | sha256sum -c --quiet -
chmod 0755 @BINARY@.new && mv @BINARY@.new @BINARY@
imds=$(curl -fsS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
ip=$(curl -fsS -H "X-aws-ec2-metadata-token: $imds" http://169.254.169.254/latest/meta-data/local-ipv4)
iid=$(curl -fsS -H "X-aws-ec2-metadata-token: $imds" http://169.254.169.254/latest/meta-data/instance-id)
cat > @START@ <<'SWARMD_START'
@START_SCRIPT@SWARMD_START
umask 077
cat > @ENV_FILE@ <<SWARMD_ENV
SWARMD_MODE='join'
SWARMD_ADVERTISE_ADDR='$ip:@PORT@'
SWARMD_LISTEN_ADDR='0.0.0.0:@PORT@'
SWARMD_HOSTNAME=''
SWARMD_PUBLISH_IP=''
SWARMD_NODE_LABELS='swarm-aws.instance-id=$iid'
SWARMD_MANAGER_ADDR='$(echo "$managers" | cut -d, -f1)'
SWARMD_JOIN_TOKEN='$token'
SWARMD_ENV
umask 022
cat > @UNIT@ <<'SWARMD_UNIT'
@UNIT_TEXT@SWARMD_UNIT
systemctl daemon-reload
systemctl enable --now swarmd
# The token goes once the node holds its state, as after the SSH bootstrap.
for _ in $(seq 1 120); do [ -f @STATE@/node.json ] && break; sleep 5; done
sed -i "s/^SWARMD_JOIN_TOKEN=.*/SWARMD_JOIN_TOKEN=''/" @ENV_FILE@
echo "swarm-aws: joined as a @ROLE@ through the instance role"
