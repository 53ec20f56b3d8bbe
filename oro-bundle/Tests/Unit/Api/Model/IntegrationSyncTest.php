<?php

namespace Reconciler\Bundle\DotmailerApiBundle\Tests\Unit\Api\Model;

use Oro\Component\MessageQueue\Job\Job;
use PHPUnit\Framework\TestCase;
use Reconciler\Bundle\DotmailerApiBundle\Api\Model\IntegrationSync;

/** The job statuses of oroinc/platform src/Oro/Component/MessageQueue/Job/Job.php, as the API answers them. */
final class IntegrationSyncTest extends TestCase
{
    /** @dataProvider statuses */
    public function testAJobStatusIsAnsweredAsItsWord(string $stored, string $answered): void
    {
        $job = new Job();
        $job->setId(12);
        $job->setName('oro_integration:sync_integration:7');
        $job->setStatus($stored);
        $job->setJobProgress(0.75);
        $sync = new IntegrationSync();

        $sync->setJob($job);

        self::assertSame(
            [12, 12, 'oro_integration:sync_integration:7', $answered, 0.75],
            [$sync->getId(), $sync->getJobId(), $sync->getJobName(), $sync->getStatus(), $sync->getProgress()]
        );
    }

    public static function statuses(): array
    {
        return [
            [Job::STATUS_NEW, 'new'],
            [Job::STATUS_RUNNING, 'running'],
            [Job::STATUS_SUCCESS, 'success'],
            [Job::STATUS_FAILED, 'failed'],
            [Job::STATUS_FAILED_REDELIVERED, 'failed_redelivered'],
            [Job::STATUS_CANCELLED, 'cancelled'],
            [Job::STATUS_STALE, 'stale'],
            ['a status of a later Oro', 'a status of a later Oro'],
        ];
    }

    public function testAJobWithoutProgressHasNone(): void
    {
        $job = new Job();
        $job->setStatus(Job::STATUS_NEW);
        $sync = new IntegrationSync();

        $sync->setJob($job);

        self::assertNull($sync->getProgress());
    }
}
