package cloud

import (
	"context"
	"encoding/json"

	ecs "github.com/alibabacloud-go/ecs-20140526/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// The ECS calls of eradicate's key-pair, Cloud Assistant and bandwidth
// kinds.

// KeyPairExists reports whether an SSH key pair exists in a region
// (DescribeKeyPairs by name).
func (c *Clients) KeyPairExists(ctx context.Context, region, name string) (bool, error) {
	api := ecsAPI("DescribeKeyPairs")
	if name == "" {
		return false, refuse(api, region, "key pair name is empty")
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return false, err
	}
	var resp *ecs.DescribeKeyPairsResponse
	err = c.call(ctx, api, name, func(ctx context.Context) (err error) {
		resp, err = client.DescribeKeyPairsWithContext(ctx, &ecs.DescribeKeyPairsRequest{RegionId: dara.String(region), KeyPairName: dara.String(name), PageSize: dara.Int32(50)}, runtime())
		return err
	})
	if err != nil {
		return false, err
	}
	if resp.Body == nil || resp.Body.KeyPairs == nil {
		return false, nil
	}
	for _, k := range resp.Body.KeyPairs.KeyPair {
		if k != nil && str(k.KeyPairName) == name {
			return true, nil
		}
	}
	return false, nil
}

// DeleteKeyPair deletes one SSH key pair (DeleteKeyPairs). ECS refuses
// while the key pair is bound to an instance.
func (c *Clients) DeleteKeyPair(ctx context.Context, region, name string) (string, error) {
	api := ecsAPI("DeleteKeyPairs")
	if name == "" {
		return "", refuse(api, region, "key pair name is empty")
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	names, _ := json.Marshal([]string{name})
	return c.write(ctx, api, name, func(ctx context.Context) (*string, error) {
		resp, err := client.DeleteKeyPairsWithContext(ctx, &ecs.DeleteKeyPairsRequest{RegionId: dara.String(region), KeyPairNames: dara.String(string(names))}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// CommandExists reports whether a Cloud Assistant command exists in a
// region (DescribeCommands by CommandId).
func (c *Clients) CommandExists(ctx context.Context, region, commandID string) (bool, error) {
	api := ecsAPI("DescribeCommands")
	if commandID == "" {
		return false, refuse(api, region, "command ID is empty")
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return false, err
	}
	var resp *ecs.DescribeCommandsResponse
	err = c.call(ctx, api, commandID, func(ctx context.Context) (err error) {
		resp, err = client.DescribeCommandsWithContext(ctx, &ecs.DescribeCommandsRequest{RegionId: dara.String(region), CommandId: dara.String(commandID)}, runtime())
		return err
	})
	if err != nil {
		return false, err
	}
	if resp.Body == nil || resp.Body.Commands == nil {
		return false, nil
	}
	for _, cmd := range resp.Body.Commands.Command {
		if cmd != nil && str(cmd.CommandId) == commandID {
			return true, nil
		}
	}
	return false, nil
}

// DeleteCommandIn deletes a Cloud Assistant command (DeleteCommand;
// InvalidCmdId.NotFound when it is gone, InvalidStatus.CmdIdInUse while
// it runs).
func (c *Clients) DeleteCommandIn(ctx context.Context, region, commandID string) (string, error) {
	api := ecsAPI("DeleteCommand")
	if commandID == "" {
		return "", refuse(api, region, "command ID is empty")
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	return c.write(ctx, api, commandID, func(ctx context.Context) (*string, error) {
		resp, err := client.DeleteCommandWithContext(ctx, &ecs.DeleteCommandRequest{RegionId: dara.String(region), CommandId: dara.String(commandID)}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}

// ModifyInstanceBandwidthIn sets an instance's outbound public bandwidth
// (ModifyInstanceNetworkSpec InternetMaxBandwidthOut, Mbit/s).
func (c *Clients) ModifyInstanceBandwidthIn(ctx context.Context, region, instanceID string, mbps int) (string, error) {
	api := ecsAPI("ModifyInstanceNetworkSpec")
	if instanceID == "" || mbps < 0 {
		return "", refuse(api, region, "want an instance ID and a bandwidth of 0 or more")
	}
	client, err := c.ecsIn(api, region)
	if err != nil {
		return "", err
	}
	return c.write(ctx, api, instanceID, func(ctx context.Context) (*string, error) {
		resp, err := client.ModifyInstanceNetworkSpecWithContext(ctx, &ecs.ModifyInstanceNetworkSpecRequest{InstanceId: dara.String(instanceID), InternetMaxBandwidthOut: dara.Int32(int32(mbps))}, runtime())
		if err != nil || resp.Body == nil {
			return nil, err
		}
		return resp.Body.RequestId, nil
	})
}
