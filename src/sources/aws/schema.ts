import { z } from "zod";
import { CmdbError } from "../../util/errors.js";

export const ec2ConfigSchema = z
  .object({
    regions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "an AWS region name such as eu-west-1")).min(1).optional(),
    profile: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    /** An EC2-compatible endpoint (LocalStack, a replay server); AWS_ENDPOINT_URL_EC2 does the same. */
    endpoint: z.url().optional(),
  })
  .strict();
export type Ec2Config = z.infer<typeof ec2ConfigSchema>;

const tags = z.array(z.looseObject({ Key: z.string().optional(), Value: z.string().optional() })).optional();
const groups = z.array(z.looseObject({ GroupId: z.string().optional(), GroupName: z.string().optional() })).optional();
const privateIps = z
  .array(z.looseObject({ PrivateIpAddress: z.string().optional(), Association: z.looseObject({ PublicIp: z.string().optional() }).optional() }))
  .optional();

export const instanceSchema = z.looseObject({
  InstanceId: z.string(),
  InstanceType: z.string().optional(),
  ImageId: z.string().optional(),
  State: z.looseObject({ Name: z.string().optional() }).optional(),
  Placement: z.looseObject({ AvailabilityZone: z.string().optional() }).optional(),
  PrivateIpAddress: z.string().optional(),
  PublicIpAddress: z.string().optional(),
  PrivateDnsName: z.string().optional(),
  PublicDnsName: z.string().optional(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  SecurityGroups: groups,
  NetworkInterfaces: z
    .array(
      z.looseObject({
        NetworkInterfaceId: z.string().optional(),
        MacAddress: z.string().optional(),
        SubnetId: z.string().optional(),
        PrivateIpAddresses: privateIps,
        Ipv6Addresses: z.array(z.looseObject({ Ipv6Address: z.string().optional() })).optional(),
        Attachment: z.looseObject({ DeviceIndex: z.number().optional() }).optional(),
      }),
    )
    .optional(),
  BlockDeviceMappings: z.array(z.looseObject({ DeviceName: z.string().optional(), Ebs: z.looseObject({ VolumeId: z.string().optional() }).optional() })).optional(),
  Tags: tags,
  Architecture: z.string().optional(),
  PlatformDetails: z.string().optional(),
  Platform: z.string().optional(),
  LaunchTime: z.date().optional(),
  KeyName: z.string().optional(),
  IamInstanceProfile: z.looseObject({ Arn: z.string().optional() }).optional(),
  CpuOptions: z.looseObject({ CoreCount: z.number().optional(), ThreadsPerCore: z.number().optional() }).optional(),
  Hypervisor: z.string().optional(),
  RootDeviceName: z.string().optional(),
});
export type Instance = z.infer<typeof instanceSchema>;

export const reservationSchema = z.looseObject({ OwnerId: z.string().optional(), Instances: z.array(instanceSchema).optional() });
export type Reservation = z.infer<typeof reservationSchema>;

export const vpcSchema = z.looseObject({
  VpcId: z.string(),
  OwnerId: z.string().optional(),
  State: z.string().optional(),
  CidrBlock: z.string().optional(),
  CidrBlockAssociationSet: z.array(z.looseObject({ CidrBlock: z.string().optional() })).optional(),
  Ipv6CidrBlockAssociationSet: z.array(z.looseObject({ Ipv6CidrBlock: z.string().optional() })).optional(),
  DhcpOptionsId: z.string().optional(),
  InstanceTenancy: z.string().optional(),
  IsDefault: z.boolean().optional(),
  Tags: tags,
});
export type Vpc = z.infer<typeof vpcSchema>;

export const subnetSchema = z.looseObject({
  SubnetId: z.string(),
  OwnerId: z.string().optional(),
  VpcId: z.string().optional(),
  State: z.string().optional(),
  CidrBlock: z.string().optional(),
  Ipv6CidrBlockAssociationSet: z.array(z.looseObject({ Ipv6CidrBlock: z.string().optional() })).optional(),
  AvailabilityZone: z.string().optional(),
  AvailableIpAddressCount: z.number().optional(),
  DefaultForAz: z.boolean().optional(),
  MapPublicIpOnLaunch: z.boolean().optional(),
  Tags: tags,
});
export type Subnet = z.infer<typeof subnetSchema>;

const permission = z.looseObject({
  IpProtocol: z.string().optional(),
  FromPort: z.number().optional(),
  ToPort: z.number().optional(),
  IpRanges: z.array(z.looseObject({ CidrIp: z.string().optional() })).optional(),
  Ipv6Ranges: z.array(z.looseObject({ CidrIpv6: z.string().optional() })).optional(),
  UserIdGroupPairs: z.array(z.looseObject({ GroupId: z.string().optional() })).optional(),
  PrefixListIds: z.array(z.looseObject({ PrefixListId: z.string().optional() })).optional(),
});
export type Permission = z.infer<typeof permission>;

export const securityGroupSchema = z.looseObject({
  GroupId: z.string(),
  GroupName: z.string().optional(),
  Description: z.string().optional(),
  OwnerId: z.string().optional(),
  VpcId: z.string().optional(),
  IpPermissions: z.array(permission).optional(),
  IpPermissionsEgress: z.array(permission).optional(),
  Tags: tags,
});
export type SecurityGroup = z.infer<typeof securityGroupSchema>;

export const volumeSchema = z.looseObject({
  VolumeId: z.string(),
  Size: z.number().optional(),
  VolumeType: z.string().optional(),
  Iops: z.number().optional(),
  Throughput: z.number().optional(),
  Encrypted: z.boolean().optional(),
  KmsKeyId: z.string().optional(),
  SnapshotId: z.string().optional(),
  AvailabilityZone: z.string().optional(),
  State: z.string().optional(),
  MultiAttachEnabled: z.boolean().optional(),
  Attachments: z
    .array(z.looseObject({ InstanceId: z.string().optional(), Device: z.string().optional(), State: z.string().optional(), DeleteOnTermination: z.boolean().optional() }))
    .optional(),
  Tags: tags,
});
export type Volume = z.infer<typeof volumeSchema>;

export const networkInterfaceSchema = z.looseObject({
  NetworkInterfaceId: z.string(),
  OwnerId: z.string().optional(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  AvailabilityZone: z.string().optional(),
  Description: z.string().optional(),
  InterfaceType: z.string().optional(),
  MacAddress: z.string().optional(),
  PrivateIpAddress: z.string().optional(),
  PrivateIpAddresses: privateIps,
  Association: z.looseObject({ PublicIp: z.string().optional() }).optional(),
  Status: z.string().optional(),
  RequesterManaged: z.boolean().optional(),
  Groups: groups,
  Attachment: z.looseObject({ InstanceId: z.string().optional(), DeviceIndex: z.number().optional(), Status: z.string().optional() }).optional(),
  TagSet: tags,
});
export type NetworkInterface = z.infer<typeof networkInterfaceSchema>;

/** Validates what the SDK returned for one call, or throws a CmdbError naming the call and path. */
export function parseItems<S extends z.ZodType>(schema: S, items: unknown[], where: string, field: string): z.infer<S>[] {
  return items.map((item, index) => {
    const result = schema.safeParse(item);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const path = issue.path.map((step) => (typeof step === "number" ? `[${step}]` : `.${String(step)}`)).join("");
    throw new CmdbError(`unexpected answer at ${field}[${index}]${path}: ${issue.message}`, { where });
  });
}
