# Managers only: the lifecycle consumer (swarm-guide) beside swarmd. It acts only while this
# manager leads: drains, demotes and removes the node of a terminating instance before completing
# its lifecycle action, removes Down nodes whose instance is gone, and keeps the managers and
# token parameters current. The same files as the SSH bootstrap installs.
gwant=$(swarm_param "swarm-guide-sha256-$arch" 2>/dev/null) || gwant=''
if [ -z "$gwant" ] || [ "$gwant" = None ]; then
  echo "swarm-aws: no swarm-guide build for $arch in the bucket: terminations will not drain first"
  exit 0
fi
aws s3 cp --region "${AWS::Region}" --only-show-errors \
  "s3://${ArtifactBucket}/guide/$arch/swarm-guide" @GUIDE_BINARY@.new
echo "$gwant  @GUIDE_BINARY@.new" | sha256sum -c --quiet -
chmod 0755 @GUIDE_BINARY@.new && mv @GUIDE_BINARY@.new @GUIDE_BINARY@
cat > @GUIDE_ENV@ <<'GUIDE_ENV'
@GUIDE_ENV_TEXT@GUIDE_ENV
cat > @GUIDE_UNIT@ <<'GUIDE_UNIT'
@GUIDE_UNIT_TEXT@GUIDE_UNIT
systemctl daemon-reload
systemctl enable --now swarm-guide
echo "swarm-aws: swarm-guide runs beside swarmd"
