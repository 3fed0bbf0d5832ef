package aws

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/efs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/sf-foodtrucks/foodtrucks/infra/config"
)

// The official Elasticsearch image runs as uid 1000, gid 0; its data
// directory must be writable by one of them. The access point enforces
// that identity on every NFS call and creates its root directory with it.
const (
	esUID            = 1000
	esGID            = 0
	esDataRoot       = "/elasticsearch"
	esDataRootPerms  = "0775"
	backupsEnabled   = "ENABLED"
	backupsDisabled  = "DISABLED"
	efsThroughputPay = "elastic" // pay per GB moved; a small index never runs out of burst credits
)

// Storage is the persistent data of Elasticsearch (searchStorage=efs): an
// encrypted EFS file system reachable only from the private subnets, with
// an access point that pins the owner of the data directory. It is the
// equivalent of the local stack's named volume.
type Storage struct {
	pulumi.ResourceState

	FileSystemID   pulumi.StringOutput
	FileSystemARN  pulumi.StringOutput
	AccessPointID  pulumi.StringOutput
	AccessPointARN pulumi.StringOutput
	// MountTargets must exist before a task can mount the file system.
	MountTargets []pulumi.Resource
}

// storageArgs is what the storage reads.
type storageArgs struct {
	Naming config.Naming
	// ProtectData protects the file system and keeps it on destroy;
	// RetainData only keeps it.
	ProtectData bool
	RetainData  bool
	EFSBackups  bool
	// A mount target in each of Subnets (the private ones), in
	// SecurityGroup (the network's StorageSG).
	Subnets       []pulumi.StringOutput
	SecurityGroup pulumi.StringOutput
}

func newStorage(ctx *pulumi.Context, name string, args storageArgs, opts ...pulumi.ResourceOption) (*Storage, error) {
	s := &Storage{}
	if err := ctx.RegisterComponentResource("foodtrucks:aws:Storage", name, s, opts...); err != nil {
		return nil, err
	}
	child := pulumi.Parent(s)
	keep := args.ProtectData || args.RetainData

	fsName := args.Naming.Name("es-data")
	fs, err := efs.NewFileSystem(ctx, fsName, &efs.FileSystemArgs{
		Encrypted:       pulumi.Bool(true),
		PerformanceMode: pulumi.String("generalPurpose"),
		ThroughputMode:  pulumi.String(efsThroughputPay),
		Tags:            componentTags("storage", fsName),
	}, child, pulumi.Protect(args.ProtectData), pulumi.RetainOnDelete(keep))
	if err != nil {
		return nil, err
	}

	backups := backupsDisabled
	if args.EFSBackups {
		backups = backupsEnabled
	}
	if _, err := efs.NewBackupPolicy(ctx, fsName, &efs.BackupPolicyArgs{
		FileSystemId: fs.ID(),
		BackupPolicy: efs.BackupPolicyBackupPolicyArgs{Status: pulumi.String(backups)},
	}, child); err != nil {
		return nil, err
	}

	ap, err := efs.NewAccessPoint(ctx, fsName, &efs.AccessPointArgs{
		FileSystemId: fs.ID(),
		PosixUser:    efs.AccessPointPosixUserArgs{Uid: pulumi.Int(esUID), Gid: pulumi.Int(esGID)},
		RootDirectory: efs.AccessPointRootDirectoryArgs{
			Path: pulumi.String(esDataRoot),
			CreationInfo: efs.AccessPointRootDirectoryCreationInfoArgs{
				OwnerUid: pulumi.Int(esUID), OwnerGid: pulumi.Int(esGID), Permissions: pulumi.String(esDataRootPerms),
			},
		},
		Tags: componentTags("storage", fsName),
	}, child, pulumi.RetainOnDelete(keep))
	if err != nil {
		return nil, err
	}

	for i, subnet := range args.Subnets {
		mt, err := efs.NewMountTarget(ctx, fmt.Sprintf("%s-%d", fsName, i), &efs.MountTargetArgs{
			FileSystemId:   fs.ID(),
			SubnetId:       subnet,
			SecurityGroups: pulumi.StringArray{args.SecurityGroup},
		}, child)
		if err != nil {
			return nil, err
		}
		s.MountTargets = append(s.MountTargets, mt)
	}

	s.FileSystemID, s.FileSystemARN = fs.ID().ToStringOutput(), fs.Arn
	s.AccessPointID, s.AccessPointARN = ap.ID().ToStringOutput(), ap.Arn
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{
		"fileSystemId":  s.FileSystemID,
		"accessPointId": s.AccessPointID,
	})
}
